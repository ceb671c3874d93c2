-- Pending per-message patches (see crate::patches): a message write records here the
-- shallow-merge update Open WebUI would have applied to chat.history.messages[message_id],
-- instead of rewriting the whole chat JSON. Reads fold these into the blob; a full-chat
-- write (or more than 64 pending patches) persists the fold and deletes the rows.
CREATE TABLE IF NOT EXISTS chatsvc_message_patch (
  chat_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  patch JSON NOT NULL,
  is_new INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (chat_id, message_id)
);
-- Patches die with their chat, whoever deletes it (us or Open WebUI beside us).
-- (One line: schema scripts are split on ";" at line ends.)
CREATE TRIGGER IF NOT EXISTS chatsvc_message_patch_chat_deleted AFTER DELETE ON chat BEGIN DELETE FROM chatsvc_message_patch WHERE chat_id = old.id; END;
