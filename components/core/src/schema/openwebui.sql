-- These tables mirror Open WebUI 0.12.4's SQLite schema (Alembic head revision 0bd252b206fb),
-- so that a database can be shared with a real Open WebUI 0.12.4.
-- Dumped verbatim from sqlite_master of a fresh Open WebUI 0.12.4 webui.db (created by its own
-- Alembic migrations), with only IF NOT EXISTS added. SQLite strips IF NOT EXISTS when storing the
-- text, so sqlite_master.sql of a database created from this file is byte-identical to upstream.
-- Column names, types, constraints, defaults and index definitions are exactly as upstream
-- (odd spacing, tabs and trailing blanks come from SQLAlchemy and Alembic batch table rebuilds).
-- Only these tables are included: user, auth, api_key, group, group_member, config, chat,
-- chat_message, shared_chat, tag, folder, access_grant, alembic_version. Upstream has about 40
-- more tables (file, knowledge, model, note, channel ...) that are NOT created here.
-- Statements are separated by a semicolon at end of line. No comment line ends with a semicolon.

-- table user
CREATE TABLE IF NOT EXISTS "user" (
	id VARCHAR NOT NULL, 
	name VARCHAR, 
	email VARCHAR, 
	role VARCHAR, 
	profile_image_url TEXT, 
	last_active_at BIGINT, 
	updated_at BIGINT, 
	created_at BIGINT, 
	username VARCHAR(50), 
	bio TEXT, 
	gender TEXT, 
	date_of_birth DATE, 
	profile_banner_image_url TEXT, 
	timezone VARCHAR, 
	presence_state VARCHAR, 
	status_emoji VARCHAR, 
	status_message TEXT, 
	status_expires_at BIGINT, 
	oauth JSON, 
	info JSON, 
	settings JSON, scim JSON, variables JSON, 
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_user_email_lower ON user (lower(email)) WHERE email IS NOT NULL;

-- table auth
CREATE TABLE IF NOT EXISTS auth (
	id VARCHAR NOT NULL, 
	email VARCHAR, 
	password TEXT, 
	active BOOLEAN, mfa JSON, session_stamp TEXT, 
	PRIMARY KEY (id)
);

-- table api_key
CREATE TABLE IF NOT EXISTS api_key (
	id TEXT NOT NULL, 
	user_id TEXT, 
	"key" TEXT NOT NULL, 
	data JSON, 
	expires_at BIGINT, 
	last_used_at BIGINT, 
	created_at BIGINT NOT NULL, 
	updated_at BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (id), 
	FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE, 
	UNIQUE ("key")
);

-- table group
CREATE TABLE IF NOT EXISTS "group" (
	id TEXT NOT NULL, 
	user_id TEXT, 
	name TEXT, 
	description TEXT, 
	data JSON, 
	meta JSON, 
	permissions JSON, 
	created_at BIGINT, 
	updated_at BIGINT, 
	parent_group_id TEXT, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_group_parent FOREIGN KEY(parent_group_id) REFERENCES "group" (id) ON DELETE SET NULL, 
	UNIQUE (id)
);
CREATE INDEX IF NOT EXISTS ix_group_parent_group_id ON "group" (parent_group_id);

-- table group_member
CREATE TABLE IF NOT EXISTS group_member (
	id TEXT NOT NULL, 
	group_id TEXT NOT NULL, 
	user_id TEXT NOT NULL, 
	created_at BIGINT, 
	updated_at BIGINT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_group_member_group_user UNIQUE (group_id, user_id), 
	UNIQUE (id), 
	FOREIGN KEY(group_id) REFERENCES "group" (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_group_member_user_id_group_id ON group_member (user_id, group_id);

-- table config
CREATE TABLE IF NOT EXISTS config (
	"key" TEXT NOT NULL, 
	value JSON NOT NULL, 
	updated_at BIGINT, 
	PRIMARY KEY ("key")
);

-- table chat
CREATE TABLE IF NOT EXISTS chat (
	id VARCHAR NOT NULL, 
	user_id VARCHAR, 
	title TEXT, 
	created_at BIGINT, 
	updated_at BIGINT, 
	share_id TEXT, 
	archived BOOLEAN, chat JSON, pinned BOOLEAN, meta JSON DEFAULT '{}' NOT NULL, folder_id TEXT, tasks JSON, summary TEXT, last_read_at BIGINT, current_message_id TEXT, variables JSON, timer_at BIGINT, 
	PRIMARY KEY (id), 
	UNIQUE (share_id)
);
CREATE INDEX IF NOT EXISTS folder_id_idx ON chat (folder_id);
CREATE INDEX IF NOT EXISTS folder_id_user_id_idx ON chat (folder_id, user_id);
CREATE INDEX IF NOT EXISTS timer_at_idx ON chat (timer_at) WHERE timer_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS updated_at_user_id_idx ON chat (updated_at, user_id);
CREATE INDEX IF NOT EXISTS user_id_archived_idx ON chat (user_id, archived);
CREATE INDEX IF NOT EXISTS user_id_folder_unread_idx ON chat (user_id, folder_id, archived, updated_at, last_read_at, id);
CREATE INDEX IF NOT EXISTS user_id_pinned_idx ON chat (user_id, pinned);
CREATE INDEX IF NOT EXISTS user_id_timer_at_idx ON chat (user_id, timer_at) WHERE timer_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS user_id_updated_at_id_idx ON chat (user_id, updated_at DESC, id);

-- table chat_message
CREATE TABLE IF NOT EXISTS chat_message (
	id TEXT NOT NULL, 
	chat_id TEXT NOT NULL, 
	user_id TEXT, 
	role TEXT NOT NULL, 
	parent_id TEXT, 
	content JSON, 
	output JSON, 
	model_id TEXT, 
	files JSON, 
	sources JSON, 
	embeds JSON, 
	done BOOLEAN, 
	status_history JSON, 
	error JSON, 
	usage JSON, 
	created_at BIGINT, 
	updated_at BIGINT, context_summary TEXT, meta JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(chat_id) REFERENCES chat (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS chat_message_chat_parent_idx ON chat_message (chat_id, parent_id);
CREATE INDEX IF NOT EXISTS chat_message_chat_role_done_idx ON chat_message (chat_id, role, done);
CREATE INDEX IF NOT EXISTS chat_message_model_created_idx ON chat_message (model_id, created_at);
CREATE INDEX IF NOT EXISTS chat_message_user_created_idx ON chat_message (user_id, created_at);
CREATE INDEX IF NOT EXISTS ix_chat_message_chat_id ON chat_message (chat_id);
CREATE INDEX IF NOT EXISTS ix_chat_message_created_at ON chat_message (created_at);
CREATE INDEX IF NOT EXISTS ix_chat_message_model_id ON chat_message (model_id);
CREATE INDEX IF NOT EXISTS ix_chat_message_user_id ON chat_message (user_id);

-- table shared_chat
CREATE TABLE IF NOT EXISTS shared_chat (
	id TEXT NOT NULL, 
	chat_id TEXT NOT NULL, 
	user_id TEXT NOT NULL, 
	title TEXT, 
	chat JSON, 
	created_at BIGINT, 
	updated_at BIGINT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(chat_id) REFERENCES chat (id) ON DELETE CASCADE
);

-- table tag
CREATE TABLE IF NOT EXISTS "tag" (
	id VARCHAR NOT NULL, 
	name VARCHAR, 
	user_id VARCHAR, 
	meta JSON, 
	CONSTRAINT pk_id_user_id PRIMARY KEY (id, user_id)
);
CREATE INDEX IF NOT EXISTS user_id_idx ON tag (user_id);

-- table folder
CREATE TABLE IF NOT EXISTS "folder" (
	id TEXT NOT NULL, 
	parent_id TEXT, 
	user_id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	items JSON, 
	meta JSON, 
	is_expanded BOOLEAN NOT NULL, 
	created_at BIGINT NOT NULL, 
	updated_at BIGINT NOT NULL, data JSON, 
	PRIMARY KEY (id, user_id)
);

-- table access_grant
CREATE TABLE IF NOT EXISTS access_grant (
	id TEXT NOT NULL, 
	resource_type TEXT NOT NULL, 
	resource_id TEXT NOT NULL, 
	principal_type TEXT NOT NULL, 
	principal_id TEXT NOT NULL, 
	permission TEXT NOT NULL, 
	created_at BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_access_grant_grant UNIQUE (resource_type, resource_id, principal_type, principal_id, permission)
);
CREATE INDEX IF NOT EXISTS idx_access_grant_principal ON access_grant (principal_type, principal_id);
CREATE INDEX IF NOT EXISTS idx_access_grant_resource ON access_grant (resource_type, resource_id);

-- table alembic_version
CREATE TABLE IF NOT EXISTS alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- alembic_version content in upstream after migrations (one row):
--   version_num = '0bd252b206fb'
-- Open WebUI runs `alembic upgrade head` at every start (config.py run_migrations, unless
-- ENABLE_DB_MIGRATIONS=false). The only thing it consults to decide what is already migrated is
-- this alembic_version table. 0.12.4 has no Peewee `migratehistory` step any more.
-- The row is deliberately NOT inserted here. If alembic_version says '0bd252b206fb', Open WebUI would
-- skip every migration and never create its other tables. If it is missing, Open WebUI replays all
-- migrations from 7e5b5dc7342b on top of these tables.

-- Rows of table config on a fresh Open WebUI 0.12.4 after start.sh + setup.sh
-- (378 rows, one row per dotted key). value is a SQLAlchemy JSON column: the JSON text of the value
-- (compact, orjson). Because the declared type JSON has NUMERIC affinity, SQLite stores numeric JSON
-- as INTEGER or REAL (marked [integer] / [real] below). Everything else is TEXT. updated_at is epoch s.
-- Format:  key = value  [typeof if not text]  (updated_at)
--   skills.lazy_loading.enable = false  (1795700754)
--   skills.content_max_chars = null  (1795700754)
--   skills.preview_max_chars = null  (1795700754)
--   direct.enable = false  (1795700754)
--   direct.integrations.enable = false  (1795700754)
--   ollama.enable = false  (1795700754)
--   ollama.base_urls = ["http://localhost:11434"]  (1795700754)
--   ollama.api_configs = {}  (1795700754)
--   openai.enable = false  (1795700754)
--   openai.api_keys = [""]  (1795700754)
--   openai.api_base_urls = ["https://api.openai.com/v1"]  (1795700754)
--   openai.api_configs = {}  (1795700754)
--   models.base_models_cache = false  (1795700754)
--   tool_server.connections = []  (1795700754)
--   terminal_server.connections = []  (1795700754)
--   code_execution.enable = true  (1795700754)
--   code_execution.engine = "pyodide"  (1795700754)
--   code_execution.jupyter.url = ""  (1795700754)
--   code_execution.jupyter.auth = ""  (1795700754)
--   code_execution.jupyter.auth_token = ""  (1795700754)
--   code_execution.jupyter.auth_password = ""  (1795700754)
--   code_execution.jupyter.timeout = 60  [integer]  (1795700754)
--   code_interpreter.enable = true  (1795700754)
--   memories.enable = true  (1795700754)
--   memories.system_context.enable = true  (1795700754)
--   memories.background_review.enable = false  (1795700754)
--   memories.review_interval_turns = 10  [integer]  (1795700754)
--   memories.user_char_limit = 2000  [integer]  (1795700754)
--   memories.context_char_limit = 2000  [integer]  (1795700754)
--   code_interpreter.engine = "pyodide"  (1795700754)
--   code_interpreter.prompt_template = ""  (1795700754)
--   code_interpreter.jupyter.url = ""  (1795700754)
--   code_interpreter.jupyter.auth = ""  (1795700754)
--   code_interpreter.jupyter.auth_token = ""  (1795700754)
--   code_interpreter.jupyter.auth_password = ""  (1795700754)
--   code_interpreter.jupyter.timeout = 60  [integer]  (1795700754)
--   google_drive.enable = false  (1795700754)
--   google_drive.client_id = ""  (1795700754)
--   google_drive.api_key = ""  (1795700754)
--   onedrive.enable = false  (1795700754)
--   onedrive.sharepoint_url = ""  (1795700754)
--   onedrive.sharepoint_tenant_id = ""  (1795700754)
--   rag.content_extraction_engine = ""  (1795700754)
--   rag.content_extraction.supported_media_mime_types = null  (1795700754)
--   rag.datalab_marker_api_key = ""  (1795700754)
--   rag.datalab_marker_api_base_url = ""  (1795700754)
--   rag.datalab_marker_additional_config = ""  (1795700754)
--   rag.datalab_marker_use_llm = false  (1795700754)
--   rag.datalab_marker_skip_cache = false  (1795700754)
--   rag.datalab_marker_force_ocr = false  (1795700754)
--   rag.datalab_marker_paginate = false  (1795700754)
--   rag.datalab_marker_strip_existing_ocr = false  (1795700754)
--   rag.datalab_marker_disable_image_extraction = false  (1795700754)
--   rag.datalab_marker_format_lines = false  (1795700754)
--   rag.datalab_marker_output_format = "markdown"  (1795700754)
--   rag.mineru_api_mode = "local"  (1795700754)
--   rag.mineru_api_url = "http://localhost:8000"  (1795700754)
--   rag.mineru_api_timeout = "300"  (1795700754)
--   rag.mineru_api_key = ""  (1795700754)
--   rag.mineru_params = {}  (1795700754)
--   rag.mineru_file_extensions = ["pdf"]  (1795700754)
--   rag.external_document_loader_url = ""  (1795700754)
--   rag.external_document_loader_api_key = ""  (1795700754)
--   rag.external_document_loader_headers = {}  (1795700754)
--   rag.tika_server_url = "http://tika:9998"  (1795700754)
--   rag.tika_server_version = "3"  (1795700754)
--   rag.docling_server_url = "http://docling:5001"  (1795700754)
--   rag.docling_api_key = ""  (1795700754)
--   rag.docling_params = {}  (1795700754)
--   rag.document_intelligence_endpoint = ""  (1795700754)
--   rag.document_intelligence_key = ""  (1795700754)
--   rag.document_intelligence_model = "prebuilt-layout"  (1795700754)
--   rag.mistral_ocr_api_base_url = "https://api.mistral.ai/v1"  (1795700754)
--   rag.mistral_ocr_api_key = ""  (1795700754)
--   rag.mistral_ocr_use_base64 = false  (1795700754)
--   rag.paddleocr_vl_base_url = "http://localhost:8080"  (1795700754)
--   rag.paddleocr_vl_token = ""  (1795700754)
--   rag.bypass_embedding_and_retrieval = true  (1795700754)
--   rag.top_k = 3  [integer]  (1795700754)
--   rag.top_k_reranker = 3  [integer]  (1795700754)
--   rag.relevance_threshold = 0  [integer]  (1795700754)
--   rag.hybrid_bm25_weight = 0.5  [real]  (1795700754)
--   rag.enable_hybrid_search = false  (1795700754)
--   rag.enable_hybrid_search_enriched_texts = false  (1795700754)
--   rag.full_context = false  (1795700754)
--   rag.file.max_count = null  (1795700754)
--   rag.file.max_size = null  (1795700754)
--   file.image_compression_width = null  (1795700754)
--   file.image_compression_height = null  (1795700754)
--   rag.file.allowed_extensions = []  (1795700754)
--   rag.embedding_engine = "openai"  (1795700754)
--   rag.pdf_extract_images = false  (1795700754)
--   rag.pdf_loader_mode = "page"  (1795700754)
--   rag.embedding_model = "sentence-transformers/all-MiniLM-L6-v2"  (1795700754)
--   rag.tokenizer_model = ""  (1795700754)
--   rag.embedding_batch_size = 1  [integer]  (1795700754)
--   rag.enable_async_embedding = true  (1795700754)
--   rag.embedding_concurrent_requests = 0  [integer]  (1795700754)
--   rag.reranking_engine = ""  (1795700754)
--   rag.reranking_model = ""  (1795700754)
--   rag.reranking_batch_size = 32  [integer]  (1795700754)
--   rag.external_reranker_url = ""  (1795700754)
--   rag.external_reranker_api_key = ""  (1795700754)
--   rag.external_reranker_timeout = ""  (1795700754)
--   rag.text_splitter = ""  (1795700754)
--   rag.enable_markdown_header_text_splitter = true  (1795700754)
--   rag.tiktoken_encoding_name = "cl100k_base"  (1795700754)
--   rag.chunk_size = 1000  [integer]  (1795700754)
--   rag.chunk_min_size_target = 0  [integer]  (1795700754)
--   rag.chunk_overlap = 100  [integer]  (1795700754)
--   rag.template = "### Task:\nRespond to the user query using the provided context, incorporating inline citations in the format [id] **only when the <source> tag includes an explicit id attribute** (e.g., <source id=\"1\">).\n\n### Guidelines:\n- If you don't know the answer, clearly state that.\n- If uncertain, ask the user for clarification.\n- Respond in the same language as the user's query.\n- If the context is unreadable or of poor quality, inform the user and provide the best possible answer.\n- If the answer isn't present in the context but you possess the knowledge, explain this to the user and provide the answer using your own understanding.\n- **Only include inline citations using [id] (e.g., [1], [2]) when the <source> tag includes an id attribute.**\n- Do not cite if the <source> tag does not contain an id attribute.\n- Do not use XML tags in your response.\n- Ensure citations are concise and directly related to the information provided.\n\n### Example of Citation:\nIf the user asks about a specific topic and the information is found in a source with a provided id attribute, the response should include the citation like in the following example:\n* \"According to the study, the proposed method increases efficiency by 20% [1].\"\n\n### Output:\nProvide a clear and direct response to the user's query, including inline citations in the format [id] only when the <source> tag with id attribute is present in the context.\n\n<context>\n{{CONTEXT}}\n</context>\n"  (1795700754)
--   rag.openai.api_base_url = "https://api.openai.com/v1"  (1795700754)
--   rag.openai.api_key = ""  (1795700754)
--   rag.azure_openai.base_url = ""  (1795700754)
--   rag.azure_openai.api_key = ""  (1795700754)
--   rag.azure_openai.api_version = ""  (1795700754)
--   rag.ollama.base_url = "http://localhost:11434"  (1795700754)
--   rag.ollama.api_key = ""  (1795700754)
--   rag.youtube_loader_language = ["en"]  (1795700754)
--   rag.youtube_loader_proxy_url = ""  (1795700754)
--   web.search.enable = false  (1795700754)
--   web.search.confirmation.enable = false  (1795700754)
--   web.search.confirmation.content = "Your query will be sent to the configured web search provider."  (1795700754)
--   web.search.engine = ""  (1795700754)
--   web.search.bypass_embedding_and_retrieval = false  (1795700754)
--   web.search.bypass_web_loader = false  (1795700754)
--   web.search.result_count = 3  [integer]  (1795700754)
--   web.search.domain.filter_list = []  (1795700754)
--   web.search.concurrent_requests = 0  [integer]  (1795700754)
--   web.fetch.max_content_length = null  (1795700754)
--   web.loader.engine = ""  (1795700754)
--   web.loader.concurrent_requests = 10  [integer]  (1795700754)
--   web.loader.timeout = ""  (1795700754)
--   web.loader.ssl_verification = true  (1795700754)
--   web.search.trust_env = true  (1795700754)
--   web.search.ollama_cloud_api_key = ""  (1795700754)
--   web.search.searxng_query_url = ""  (1795700754)
--   web.search.openserp_base_url = "http://localhost:7000"  (1795700754)
--   web.search.searxng_language = "all"  (1795700754)
--   web.search.yacy_query_url = ""  (1795700754)
--   web.search.yacy_username = ""  (1795700754)
--   web.search.yacy_password = ""  (1795700754)
--   web.search.google_pse_api_key = ""  (1795700754)
--   web.search.google_pse_engine_id = ""  (1795700754)
--   web.search.brave_search_api_key = ""  (1795700754)
--   web.search.brave_search_context_tokens = 8192  [integer]  (1795700754)
--   web.search.kagi_search_api_key = ""  (1795700754)
--   web.search.mojeek_search_api_key = ""  (1795700754)
--   web.search.bocha_search_api_key = ""  (1795700754)
--   web.search.serpstack_api_key = ""  (1795700754)
--   web.search.serpstack_https = true  (1795700754)
--   web.search.serper_api_key = ""  (1795700754)
--   web.search.serply_api_key = ""  (1795700754)
--   web.search.serphouse_api_key = ""  (1795700754)
--   web.search.serphouse_domain = "google.com"  (1795700754)
--   web.search.ddgs_backend = "auto"  (1795700754)
--   web.search.jina_api_key = ""  (1795700754)
--   web.search.jina_api_base_url = ""  (1795700754)
--   web.search.searchapi_api_key = ""  (1795700754)
--   web.search.searchapi_engine = ""  (1795700754)
--   web.search.serpapi_api_key = ""  (1795700754)
--   web.search.serpapi_engine = ""  (1795700754)
--   web.search.bing_search_v7_endpoint = "https://api.bing.microsoft.com/v7.0/search"  (1795700754)
--   web.search.bing_search_v7_subscription_key = ""  (1795700754)
--   web.search.azure_ai_search_api_key = ""  (1795700754)
--   web.search.azure_ai_search_endpoint = ""  (1795700754)
--   web.search.azure_ai_search_index_name = ""  (1795700754)
--   web.search.exa_api_key = ""  (1795700754)
--   web.search.exa_max_content_length = null  (1795700754)
--   web.search.perplexity_api_key = ""  (1795700754)
--   web.search.perplexity_model = "sonar"  (1795700754)
--   web.search.perplexity_search_context_usage = "medium"  (1795700754)
--   web.search.perplexity_search_api_url = "https://api.perplexity.ai/search"  (1795700754)
--   web.search.microsoft_web_iq_api_base_url = "https://api.microsoft.ai/v3"  (1795700754)
--   web.search.microsoft_web_iq_api_key = ""  (1795700754)
--   web.search.microsoft_web_iq_language = "en"  (1795700754)
--   web.search.sougou_api_sid = ""  (1795700754)
--   web.search.sougou_api_sk = ""  (1795700754)
--   web.search.tavily_api_key = ""  (1795700754)
--   web.search.tavily_extract_depth = "basic"  (1795700754)
--   web.search.tavily_search_depth = "basic"  (1795700754)
--   web.search.staan_api_key = ""  (1795700754)
--   web.search.staan_market = "en-us"  (1795700754)
--   web.search.staan_max_snippets = 0  [integer]  (1795700754)
--   web.loader.playwright_ws_url = ""  (1795700754)
--   web.loader.playwright_timeout = 10000  [integer]  (1795700754)
--   web.loader.firecrawl_api_key = ""  (1795700754)
--   web.loader.firecrawl_api_url = "https://api.firecrawl.dev"  (1795700754)
--   web.loader.firecrawl_timeout = ""  (1795700754)
--   web.search.external_web_search_url = ""  (1795700754)
--   web.search.external_web_search_api_key = ""  (1795700754)
--   web.loader.external_web_loader_url = ""  (1795700754)
--   web.loader.external_web_loader_api_key = ""  (1795700754)
--   web.search.yandex_web_search_url = ""  (1795700754)
--   web.search.yandex_web_search_api_key = ""  (1795700754)
--   web.search.yandex_web_search_config = ""  (1795700754)
--   web.search.youcom_api_key = ""  (1795700754)
--   web.search.linkup_api_key = ""  (1795700754)
--   web.search.linkup_search_params = {}  (1795700754)
--   image_generation.enable = false  (1795700754)
--   image_generation.engine = "openai"  (1795700754)
--   image_generation.model = ""  (1795700754)
--   image_generation.size = "512x512"  (1795700754)
--   image_generation.steps = 50  [integer]  (1795700754)
--   image_generation.prompt.enable = true  (1795700754)
--   image_generation.automatic1111.base_url = ""  (1795700754)
--   image_generation.automatic1111.api_auth = ""  (1795700754)
--   image_generation.automatic1111.api_params = {}  (1795700754)
--   image_generation.comfyui.base_url = ""  (1795700754)
--   image_generation.comfyui.api_key = ""  (1795700754)
--   image_generation.comfyui.workflow = "\n{\n  \"3\": {\n    \"inputs\": {\n      \"seed\": 0,\n      \"steps\": 20,\n      \"cfg\": 8,\n      \"sampler_name\": \"euler\",\n      \"scheduler\": \"normal\",\n      \"denoise\": 1,\n      \"model\": [\n        \"4\",\n        0\n      ],\n      \"positive\": [\n        \"6\",\n        0\n      ],\n      \"negative\": [\n        \"7\",\n        0\n      ],\n      \"latent_image\": [\n        \"5\",\n        0\n      ]\n    },\n    \"class_type\": \"KSampler\",\n    \"_meta\": {\n      \"title\": \"KSampler\"\n    }\n  },\n  \"4\": {\n    \"inputs\": {\n      \"ckpt_name\": \"model.safetensors\"\n    },\n    \"class_type\": \"CheckpointLoaderSimple\",\n    \"_meta\": {\n      \"title\": \"Load Checkpoint\"\n    }\n  },\n  \"5\": {\n    \"inputs\": {\n      \"width\": 512,\n      \"height\": 512,\n      \"batch_size\": 1\n    },\n    \"class_type\": \"EmptyLatentImage\",\n    \"_meta\": {\n      \"title\": \"Empty Latent Image\"\n    }\n  },\n  \"6\": {\n    \"inputs\": {\n      \"text\": \"Prompt\",\n      \"clip\": [\n        \"4\",\n        1\n      ]\n    },\n    \"class_type\": \"CLIPTextEncode\",\n    \"_meta\": {\n      \"title\": \"CLIP Text Encode (Prompt)\"\n    }\n  },\n  \"7\": {\n    \"inputs\": {\n      \"text\": \"\",\n      \"clip\": [\n        \"4\",\n        1\n      ]\n    },\n    \"class_type\": \"CLIPTextEncode\",\n    \"_meta\": {\n      \"title\": \"CLIP Text Encode (Prompt)\"\n    }\n  },\n  \"8\": {\n    \"inputs\": {\n      \"samples\": [\n        \"3\",\n        0\n      ],\n      \"vae\": [\n        \"4\",\n        2\n      ]\n    },\n    \"class_type\": \"VAEDecode\",\n    \"_meta\": {\n      \"title\": \"VAE Decode\"\n    }\n  },\n  \"9\": {\n    \"inputs\": {\n      \"filename_prefix\": \"ComfyUI\",\n      \"images\": [\n        \"8\",\n        0\n      ]\n    },\n    \"class_type\": \"SaveImage\",\n    \"_meta\": {\n      \"title\": \"Save Image\"\n    }\n  }\n}\n"  (1795700754)
--   image_generation.comfyui.nodes = []  (1795700754)
--   image_generation.openai.api_base_url = "https://api.openai.com/v1"  (1795700754)
--   image_generation.openai.api_version = ""  (1795700754)
--   image_generation.openai.api_key = ""  (1795700754)
--   image_generation.openai.params = {}  (1795700754)
--   image_generation.gemini.api_base_url = ""  (1795700754)
--   image_generation.gemini.api_key = ""  (1795700754)
--   image_generation.gemini.endpoint_method = ""  (1795700754)
--   images.edit.enable = false  (1795700754)
--   images.edit.engine = "openai"  (1795700754)
--   images.edit.model = ""  (1795700754)
--   images.edit.size = ""  (1795700754)
--   images.edit.openai.api_base_url = "https://api.openai.com/v1"  (1795700754)
--   images.edit.openai.api_version = ""  (1795700754)
--   images.edit.openai.api_key = ""  (1795700754)
--   images.edit.gemini.api_base_url = ""  (1795700754)
--   images.edit.gemini.api_key = ""  (1795700754)
--   images.edit.comfyui.base_url = ""  (1795700754)
--   images.edit.comfyui.api_key = ""  (1795700754)
--   images.edit.comfyui.workflow = ""  (1795700754)
--   images.edit.comfyui.nodes = []  (1795700754)
--   audio.stt.whisper_model = "base"  (1795700754)
--   audio.stt.deepgram.api_key = ""  (1795700754)
--   audio.stt.openai.api_base_url = "https://api.openai.com/v1"  (1795700754)
--   audio.stt.openai.api_key = ""  (1795700754)
--   audio.stt.openai.api_request_format = "multipart"  (1795700754)
--   audio.stt.engine = ""  (1795700754)
--   audio.stt.model = ""  (1795700754)
--   audio.stt.supported_content_types = []  (1795700754)
--   audio.stt.allowed_extensions = ["mp3","wav","m4a","webm","ogg","flac","mp4","mpga","mpeg"]  (1795700754)
--   audio.stt.azure.api_key = ""  (1795700754)
--   audio.stt.azure.region = ""  (1795700754)
--   audio.stt.azure.locales = ""  (1795700754)
--   audio.stt.azure.base_url = ""  (1795700754)
--   audio.stt.azure.max_speakers = ""  (1795700754)
--   audio.stt.mistral.api_key = ""  (1795700754)
--   audio.stt.mistral.api_base_url = "https://api.mistral.ai/v1"  (1795700754)
--   audio.stt.mistral.use_chat_completions = false  (1795700754)
--   audio.tts.openai.api_base_url = "https://api.openai.com/v1"  (1795700754)
--   audio.tts.openai.api_key = ""  (1795700754)
--   audio.tts.openai.params = {}  (1795700754)
--   audio.tts.api_key = ""  (1795700754)
--   audio.realtime.enabled = false  (1795700754)
--   audio.realtime.provider = "openai"  (1795700754)
--   audio.realtime.auth_type = "api_key"  (1795700754)
--   audio.realtime.openai.api_base_url = "https://api.openai.com/v1"  (1795700754)
--   audio.realtime.openai.api_key = ""  (1795700754)
--   audio.realtime.model = "gpt-realtime-2.1-mini"  (1795700754)
--   audio.realtime.voice = "marin"  (1795700754)
--   audio.realtime.transcription_model = "gpt-transcribe"  (1795700754)
--   audio.realtime.input_params = null  (1795700754)
--   audio.realtime.prompt_template = null  (1795700754)
--   audio.tts.engine = ""  (1795700754)
--   audio.tts.model = "tts-1"  (1795700754)
--   audio.tts.voice = "alloy"  (1795700754)
--   audio.tts.realtime.prompt_template = null  (1795700754)
--   audio.tts.split_on = "punctuation"  (1795700754)
--   audio.tts.azure.speech_region = ""  (1795700754)
--   audio.tts.azure.speech_base_url = ""  (1795700754)
--   audio.tts.azure.speech_output_format = "audio-24khz-160kbitrate-mono-mp3"  (1795700754)
--   audio.tts.mistral.api_key = ""  (1795700754)
--   audio.tts.mistral.api_base_url = "https://api.mistral.ai/v1"  (1795700754)
--   webui.url = ""  (1795700754)
--   ui.enable_signup = false  (1795700758)
--   ui.enable_login_form = true  (1795700754)
--   ui.enable_password_change_form = true  (1795700754)
--   ui.default_locale = ""  (1795700754)
--   ui.default_models = null  (1795700754)
--   ui.default_pinned_models = null  (1795700754)
--   ui.default_interface_settings = {}  (1795700754)
--   ui.visibility = {}  (1795700754)
--   ui.i18n = {}  (1795700754)
--   ui.prompt_suggestions = null  (1795700754)
--   ui.prompt_suggestions_i18n = {}  (1795700754)
--   ui.model_order_list = []  (1795700754)
--   models.default_metadata = {}  (1795700754)
--   models.default_params = {}  (1795700754)
--   ui.default_user_role = "pending"  (1795700754)
--   ui.default_group_id = ""  (1795700754)
--   ui.pending_user_overlay_title = ""  (1795700754)
--   ui.pending_user_overlay_content = ""  (1795700754)
--   ui.watermark = ""  (1795700754)
--   user.permissions = {"workspace":{"models":false,"knowledge":false,"prompts":false,"tools":false,"skills":false,"models_import":false,"models_export":false,"models_hidden":false,"prompts_import":false,"prompts_export":false,"tools_import":false,"tools_export":false,"skills_import":false,"skills_export":false},"sharing":{"models":false,"public_models":false,"knowledge":false,"public_knowledge":false,"prompts":false,"public_prompts":false,"tools":false,"public_tools":false,"skills":false,"public_skills":false,"notes":false,"public_notes":false,"folders":false,"public_chats":false,"open_chats":false,"public_calendars":false},"access_grants":{"allow_users":true,"allow_groups":true},"chat":{"controls":true,"valves":true,"system_prompt":true,"params":true,"file_upload":true,"web_upload":true,"delete":true,"delete_message":true,"continue_response":true,"regenerate_response":true,"rate_response":true,"edit":true,"share":true,"export":true,"import":true,"stt":true,"tts":true,"call":true,"multiple_models":true,"temporary":true,"temporary_enforced":false},"features":{"api_keys":false,"notes":true,"folders":true,"channels":true,"encrypted_channels":false,"direct_tool_servers":false,"web_search":true,"image_generation":true,"code_interpreter":true,"memories":true,"automations":false,"calendar":true,"webhooks":false},"settings":{"interface":true}}  (1795700754)
--   folders.enable = true  (1795700754)
--   folders.max_file_count = ""  (1795700754)
--   channels.enable = false  (1795700754)
--   channels.encryption.enable = false  (1795700754)
--   apps.enable = false  (1795700754)
--   channels.model_response_mode = "thread"  (1795700754)
--   calendar.enable = true  (1795700754)
--   automations.enable = true  (1795700754)
--   subagents.enable = false  (1795700754)
--   subagents.background_enabled = false  (1795700754)
--   subagents.max_concurrent = 20  [integer]  (1795700754)
--   subagents.max_async = 20  [integer]  (1795700754)
--   subagents.max_iterations = 30  [integer]  (1795700754)
--   subagents.max_output = 30000  [integer]  (1795700754)
--   subagents.system_prompt = ""  (1795700754)
--   automations.max_count = ""  (1795700754)
--   automations.min_interval = ""  (1795700754)
--   automations.auth_token_expires_in = "1h"  (1795700754)
--   notes.enable = true  (1795700754)
--   users.enable_status = true  (1795700754)
--   evaluation.arena.enable = false  (1795700754)
--   evaluation.arena.models = []  (1795700754)
--   webhook_url = ""  (1795700754)
--   ui.enable_community_sharing = true  (1795700754)
--   ui.enable_message_rating = true  (1795700754)
--   ui.enable_user_webhooks = false  (1795700754)
--   ui.banners = []  (1795700754)
--   auth.admin.show = true  (1795700754)
--   auth.admin.email = null  (1795700754)
--   task.model.default = ""  (1795700754)
--   task.model.external = ""  (1795700754)
--   task.model.params = {}  (1795700754)
--   chat.context_compaction.model = ""  (1795700754)
--   chat.context_compaction.enable = false  (1795700754)
--   chat.context_compaction.token_threshold = 80000  [integer]  (1795700754)
--   chat.context_compaction.token_cap = null  (1795700754)
--   chat.context_compaction.retention_percentage = 40  [integer]  (1795700754)
--   chat.context_compaction.prompt_template = ""  (1795700754)
--   chat.tool_permissions.enable = false  (1795700754)
--   chat.tool_search.enable = false  (1795700754)
--   chat.tool_search.defer_threshold = 400  [integer]  (1795700754)
--   chat.tool_search.always_loaded = []  (1795700754)
--   chat.tool_search.defer_builtin_tools = true  (1795700754)
--   task.title.prompt_template = ""  (1795700754)
--   task.tags.prompt_template = ""  (1795700754)
--   task.image.prompt_template = ""  (1795700754)
--   task.follow_up.prompt_template = ""  (1795700754)
--   task.follow_up.enable = true  (1795700754)
--   task.tags.enable = true  (1795700754)
--   task.title.enable = true  (1795700754)
--   task.query.search.enable = true  (1795700754)
--   task.query.retrieval.enable = true  (1795700754)
--   task.query.prompt_template = ""  (1795700754)
--   task.autocomplete.enable = false  (1795700754)
--   task.autocomplete.input_max_length = -1  [integer]  (1795700754)
--   task.autocomplete.prompt_template = ""  (1795700754)
--   task.voice.prompt_template = ""  (1795700754)
--   task.voice.prompt.enable = true  (1795700754)
--   task.tools.prompt_template = ""  (1795700754)
--   auth.enable_api_keys = false  (1795700754)
--   auth.api_key.endpoint_restrictions = false  (1795700754)
--   auth.api_key.allowed_endpoints = ""  (1795700754)
--   auth.jwt_expiry = "4w"  (1795700754)
--   auth.mfa.enable = false  (1795700754)
--   auth.mfa.allow_oauth_bypass = false  (1795700754)
--   auth.mfa.allow_trusted_header_bypass = false  (1795700754)
--   ldap.enable = false  (1795700754)
--   ldap.server.label = "LDAP Server"  (1795700754)
--   ldap.server.host = "localhost"  (1795700754)
--   ldap.server.port = 389  [integer]  (1795700754)
--   ldap.server.attribute_for_mail = "mail"  (1795700754)
--   ldap.server.default_email_domain = ""  (1795700754)
--   ldap.server.attribute_for_username = "uid"  (1795700754)
--   ldap.server.app_dn = ""  (1795700754)
--   ldap.server.app_password = ""  (1795700754)
--   ldap.server.users_dn = ""  (1795700754)
--   ldap.server.search_filter = ""  (1795700754)
--   ldap.server.use_tls = true  (1795700754)
--   ldap.server.ca_cert_file = ""  (1795700754)
--   ldap.server.validate_cert = true  (1795700754)
--   ldap.server.ciphers = "ALL"  (1795700754)
--   ldap.group.enable_management = false  (1795700754)
--   ldap.group.enable_creation = false  (1795700754)
--   ldap.server.attribute_for_groups = "memberOf"  (1795700754)
