#!/usr/bin/env python3
"""Interop check between the real Open WebUI 0.12.4 and this service on one database.

Driven by scripts/interop-openwebui (read it first); stdlib only. Subcommands:

  seed     write a realistic set of chats through a server's API (Open WebUI's, in the script)
  write    write more chats through a server's API (ours, in the script)
  compare  send every read route of the chats API to two servers, compare the JSON field by field

Both servers must verify the same tokens (same WEBUI_SECRET_KEY), and serve the same data:
`compare` is run on two copies of one database file.

The state file (JSON) remembers what `seed`/`write` created, so that `compare` can ask for
every chat, folder, tag and share by id.
"""

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

API = "/api/v1"

# Every difference is reported. Two kinds are known and explained (docs/deploy.md, "Using an
# existing Open WebUI database"); they are printed as such and do not fail the run:
TIE = "order among rows with equal updated_at: Open WebUI's query has no tie-break, ours sorts by id"
LAG = ("message written through our per-message route: our answer folds the pending patch, "
       "Open WebUI reads the chat JSON, which lags until the next full-chat write")
# Only with pending patches turned on (our host inherits SPIN_VARIABLE_MESSAGE_PATCH_LIMIT);
# by default every message write keeps the chat JSON current and a lag is a bug.
PATCHES_ON = os.environ.get("SPIN_VARIABLE_MESSAGE_PATCH_LIMIT", "0").strip() not in ("", "0")


# --- HTTP -------------------------------------------------------------------------------


def call(base, method, path, token=None, body=None):
    """(status, parsed JSON or text) for one request."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw, ctype = response.status, response.read(), response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        status, raw, ctype = error.code, error.read(), error.headers.get("content-type", "")
    text = raw.decode("utf-8", "replace")
    if "ndjson" in ctype:
        return status, [json.loads(line) for line in text.splitlines() if line.strip()]
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def ok(base, method, path, token, body=None):
    status, value = call(base, method, path, token, body)
    if status != 200:
        sys.exit(f"{method} {path}: {status} {value}")
    return value


def tokens(path):
    values = {}
    for line in open(path, encoding="utf-8"):
        if "=" in line:
            key, value = line.strip().split("=", 1)
            values[key] = value
    return values


# --- a realistic chat -------------------------------------------------------------------


def chat_json(title, turns, model="llama3.1:8b", branch=False, base_ts=1_700_000_000):
    """A chat as Open WebUI's frontend writes it: the message tree in history, the current
    branch as `messages`, model list, params, tags. `turns` is [(question, answer)]."""
    messages, parent, order = {}, None, []
    ts = base_ts
    for n, (question, answer) in enumerate(turns):
        uid, aid = str(uuid.uuid4()), str(uuid.uuid4())
        messages[uid] = {"id": uid, "parentId": parent, "childrenIds": [aid], "role": "user",
                         "content": question, "timestamp": ts, "models": [model]}
        messages[aid] = {"id": aid, "parentId": uid, "childrenIds": [], "role": "assistant",
                         "content": answer, "model": model, "modelName": model, "modelIdx": 0,
                         "timestamp": ts + 3, "done": True,
                         "usage": {"prompt_tokens": 12 + n, "completion_tokens": 40 + n},
                         "statusHistory": [{"action": "web_search", "done": True,
                                            "description": "Searched 3 sites"}]}
        if parent:
            messages[parent]["childrenIds"].append(uid)
        order += [uid, aid]
        parent = aid
        ts += 60
    if branch and order:
        # A regenerated answer: a sibling of the last assistant message, now current.
        last_user = order[-2]
        rid = str(uuid.uuid4())
        messages[rid] = {"id": rid, "parentId": last_user, "childrenIds": [], "role": "assistant",
                         "content": "Regenerated: " + turns[-1][1], "model": model,
                         "timestamp": ts, "done": True}
        messages[last_user]["childrenIds"].append(rid)
        order[-1] = rid
    return {
        "id": "", "title": title, "models": [model], "params": {"temperature": 0.7},
        "history": {"messages": messages, "currentId": order[-1] if order else None},
        "messages": [messages[m] for m in order], "tags": [], "files": [],
        "timestamp": base_ts * 1000,
    }


TOPICS = [
    ("Rust lifetimes", [("What is a lifetime in Rust?", "A lifetime names the scope for which a reference is valid."),
                        ("Show `'static`", "```rust\nfn f() -> &'static str { \"hi\" }\n```")]),
    ("Sourdough starter", [("My starter smells of acetone", "Feed it more often: it is hungry.")]),
    ("Trip to Kyōto 🇯🇵", [("Plan 3 days in Kyōto", "Day 1: Fushimi Inari at dawn; day 2: Arashiyama; day 3: Gion."),
                          ("Budget?", "About ¥15,000 a day without the hotel.")]),
    ("SQL window functions", [("Explain ROW_NUMBER() OVER (PARTITION BY ...)", "It numbers rows within each partition."),
                              ("And 100% of rows?", "Use PERCENT_RANK for snake_case columns too.")]),
    ("Birthday poem", [("Write a short poem for Ada", "Ada, counting engines turn, / another year for you to learn.")]),
    ("Kubernetes probes", [("liveness vs readiness", "Readiness gates traffic; liveness restarts the container.")]),
    ("Empty follow-up", [("", "You sent an empty message.")]),
]


# --- writing ----------------------------------------------------------------------------


def tick(args):
    # Most list routes sort by updated_at (seconds); distinct values keep the comparison
    # about content, not about how each server breaks ties (the tie group below is on purpose).
    time.sleep(args.tick)


def seed(args, prefix="owui"):
    t = tokens(args.tokens)
    base, user, admin = args.base, t["USER_TOKEN"], t["ADMIN_TOKEN"]
    state = {"user_id": t["USER_ID"], "admin_id": t["ADMIN_ID"], "chats": {}, "folders": {},
             "shares": {}, "tags": set()}
    if args.state_in:
        state = load_state(args.state_in)

    def new(token, owner, title, turns, branch=False, folder=None):
        body = {"chat": chat_json(title, turns, branch=branch)}
        if folder:
            body["folder_id"] = folder
        chat = ok(base, "POST", f"{API}/chats/new", token, body)
        state["chats"][chat["id"]] = owner
        tick(args)
        return chat["id"]

    # Folders, one nested.
    work = ok(base, "POST", f"{API}/folders/", user, {"name": f"{prefix} Work"})["id"]
    sub = ok(base, "POST", f"{API}/folders/", user, {"name": f"{prefix} Work/Infra", "parent_id": work})["id"]
    home = ok(base, "POST", f"{API}/folders/", user, {"name": f"{prefix} Home", "meta": {"icon": "🏠"}})["id"]
    state["folders"].update({work: "user", sub: "user", home: "user"})
    tick(args)

    ids = []
    for n, (title, turns) in enumerate(TOPICS):
        ids.append(new(user, "user", f"{prefix}: {title}", turns, branch=(n % 3 == 0)))
    # In folders: one created there, one moved there.
    in_sub = new(user, "user", f"{prefix}: Helm chart review", [("Review my values.yaml", "Set resources.limits.")], folder=sub)
    ok(base, "POST", f"{API}/chats/{ids[1]}/folder", user, {"folder_id": home}); tick(args)
    ok(base, "POST", f"{API}/chats/{ids[5]}/folder", user, {"folder_id": work}); tick(args)
    # Tags (one shared by several chats, one with spaces/case that Open WebUI normalises).
    for chat_id, names in [(ids[0], ["rust", "programming"]), (ids[3], ["programming", "SQL Stuff"]),
                           (ids[2], ["travel"]), (in_sub, ["k8s"])]:
        for name in names:
            ok(base, "POST", f"{API}/chats/{chat_id}/tags", user, {"name": name}); tick(args)
            state["tags"].add(name)
    # A tag removed again (its row goes when no chat uses it).
    ok(base, "POST", f"{API}/chats/{ids[4]}/tags", user, {"name": "temp"}); tick(args)
    ok(base, "DELETE", f"{API}/chats/{ids[4]}/tags", user, {"name": "temp"}); tick(args)
    # Pinned, archived (one archived and pinned), renamed, per-message edits, an event.
    ok(base, "POST", f"{API}/chats/{ids[0]}/pin", user); tick(args)
    ok(base, "POST", f"{API}/chats/{ids[2]}/pin", user); tick(args)
    ok(base, "POST", f"{API}/chats/{ids[4]}/archive", user); tick(args)
    ok(base, "POST", f"{API}/chats/{ids[6]}/pin", user); tick(args)
    ok(base, "POST", f"{API}/chats/{ids[6]}/archive", user); tick(args)
    renamed = chat_json(f"{prefix}: Kubernetes probes (renamed)", TOPICS[5][1])
    ok(base, "POST", f"{API}/chats/{ids[5]}", user, {"chat": renamed}); tick(args)
    current = ok(base, "GET", f"{API}/chats/{ids[3]}", user)["chat"]["history"]["currentId"]
    ok(base, "POST", f"{API}/chats/{ids[3]}/messages/{current}", user,
       {"content": "Edited answer: ROW_NUMBER restarts at 1 in each partition."}); tick(args)
    ok(base, "POST", f"{API}/chats/{ids[3]}/messages/{current}/event", user,
       {"type": "status", "data": {"description": "Done", "done": True}}); tick(args)
    state.setdefault("per_message_writes", []).append({"chat": ids[3], "message": current, "through": prefix})
    ok(base, "POST", f"{API}/chats/{ids[2]}/unread", user); tick(args)
    # Shared: one plain share, one re-shared after an edit, access grants to the admin.
    for chat_id in (ids[0], ids[2]):
        chat = ok(base, "POST", f"{API}/chats/{chat_id}/share", user)
        state["shares"][chat["share_id"]] = chat_id
        tick(args)
    ok(base, "POST", f"{API}/chats/{ids[2]}/share", user); tick(args)
    ok(base, "POST", f"{API}/chats/shared/{ids[2]}/access/update", user,
       {"access_grants": [{"principal_type": "user", "principal_id": t["ADMIN_ID"], "permission": "read"}]}); tick(args)
    # Clone and fork.
    clone = ok(base, "POST", f"{API}/chats/{ids[0]}/clone", user, {"title": f"{prefix}: Rust lifetimes (copy)"})
    state["chats"][clone["id"]] = "user"; tick(args)
    fork = ok(base, "POST", f"{API}/chats/{ids[2]}/fork", user, {})
    state["chats"][fork["id"]] = "user"; tick(args)
    # Imported chats with explicit timestamps, two of them with the same updated_at.
    imported = ok(base, "POST", f"{API}/chats/import", user, {"chats": [
        {"chat": chat_json(f"{prefix}: Imported {n}", [(f"old question {n}", f"old answer {n}")], base_ts=1_600_000_000 + n),
         "meta": {"tags": ["imported"]}, "pinned": n == 0, "archived": n == 2,
         "created_at": 1_600_000_000 + n, "updated_at": 1_600_000_100 + (0 if n in (3, 4) else n)}
        for n in range(5)]})
    for chat in imported:
        state["chats"][chat["id"]] = "user"
    state["tags"].add("imported")
    # The admin's own chats.
    for title, turns in TOPICS[:2]:
        new(admin, "admin", f"{prefix} admin: {title}", turns)
    save_state(args.state_out, state)
    print(f"seeded {len(state['chats'])} chats, {len(state['folders'])} folders, "
          f"{len(state['shares'])} shares through {base}")


def load_state(path):
    state = json.load(open(path, encoding="utf-8"))
    state["tags"] = set(state["tags"])
    return state


def save_state(path, state):
    out = dict(state, tags=sorted(state["tags"]))
    json.dump(out, open(path, "w", encoding="utf-8"), indent=1)


# --- reading and comparing --------------------------------------------------------------


def read_routes(state, t):
    """Every read route of the chats API (and the folder reads chats refer to), as
    (label, token, method, path, body)."""
    user, admin = t["USER_TOKEN"], t["ADMIN_TOKEN"]
    c = f"{API}/chats"
    routes = []
    for who, token in (("user", user), ("admin", admin)):
        routes += [
            (who, token, "GET", f"{c}/", None),
            (who, token, "GET", f"{c}/?page=1", None),
            (who, token, "GET", f"{c}/?page=2", None),
            (who, token, "GET", f"{c}/list?page=1&include_pinned=true&include_folders=true", None),
            (who, token, "GET", f"{c}/?sort_by=created_at&sort_dir=asc", None),
            (who, token, "GET", f"{c}/?sort_by=title&sort_dir=asc", None),
            (who, token, "GET", f"{c}/pinned", None),
            (who, token, "GET", f"{c}/archived", None),
            (who, token, "GET", f"{c}/archived?page=1&order_by=created_at&direction=asc", None),
            (who, token, "GET", f"{c}/archived?query=imported", None),
            (who, token, "GET", f"{c}/archived/count", None),
            (who, token, "GET", f"{c}/all", None),
            (who, token, "GET", f"{c}/all/archived", None),
            (who, token, "GET", f"{c}/all/tags", None),
            (who, token, "GET", f"{c}/shared", None),
            (who, token, "GET", f"{c}/shared?order_by=created_at&direction=desc", None),
            (who, token, "GET", f"{c}/config", None),
            (who, token, "GET", f"{c}/stats/usage", None),
            (who, token, "GET", f"{c}/stats/export", None),
            (who, token, "GET", f"{c}/stats/export?stream=true", None),
            (who, token, "GET", f"{API}/folders/", None),
        ]
        for text in ("rust", "Kyōto", "partition", "tag:programming", "pinned:true", "archived:true",
                     "folder:owui_work", "shared:true", "100%", "old question"):
            routes.append((who, token, "GET", f"{c}/search?text={urllib.parse.quote(text)}", None))
        for tag in sorted(state["tags"]):
            routes.append((who, token, "POST", f"{c}/tags", {"name": tag}))
    routes += [
        ("admin", admin, "GET", f"{c}/all/db", None),
        ("admin", admin, "GET", f"{c}/list/user/{state['user_id']}", None),
        ("admin", admin, "GET", f"{c}/list/user/{state['user_id']}?page=1&order_by=title&direction=asc", None),
    ]
    for chat_id, owner in sorted(state["chats"].items()):
        token = user if owner == "user" else admin
        for suffix in ("", "/pinned", "/tags"):
            routes.append((owner, token, "GET", f"{c}/{chat_id}{suffix}", None))
        routes.append((owner, token, "GET", f"{c}/stats/export/{chat_id}", None))
        routes.append((owner, token, "GET", f"{c}/shared/{chat_id}/access", None))
        if owner == "user":  # an admin reading someone else's chat (ENABLE_ADMIN_CHAT_ACCESS)
            routes.append(("admin", admin, "GET", f"{c}/{chat_id}", None))
    for share_id in sorted(state["shares"]):
        routes.append(("user", user, "GET", f"{c}/share/{share_id}", None))
        routes.append(("admin", admin, "GET", f"{c}/share/{share_id}", None))
    for folder_id in sorted(state["folders"]):
        routes.append(("user", user, "GET", f"{c}/folder/{folder_id}", None))
        routes.append(("user", user, "GET", f"{c}/folder/{folder_id}/list", None))
        routes.append(("user", user, "GET", f"{API}/folders/{folder_id}", None))
    return routes


def diff(a, b, path, out):
    """Appends (json path, value in a, value in b) for every difference."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                out.append((f"{path}.{key}", a.get(key, "<missing>"), b.get(key, "<missing>")))
            else:
                diff(a[key], b[key], f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append((f"{path}.length", len(a), len(b)))
        for n, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{n}]", out)
    elif a != b or type(a) is not type(b):
        out.append((path, a, b))


def short(value, limit=160):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def compare(args):
    t = tokens(args.tokens)
    state = load_state(args.state)
    routes = read_routes(state, t)
    same, different = 0, []
    for who, token, method, path, body in routes:
        status_a, body_a = call(args.a, method, path, token, body)
        status_b, body_b = call(args.b, method, path, token, body)
        found = []
        if status_a != status_b:
            found.append(("status", status_a, status_b))
        diff(body_a, body_b, "$", found)
        if found:
            different.append((who, method, path, found, known(state, path, body_a, body_b, found)))
        else:
            same += 1
    unexplained = [d for d in different if d[4] is None]
    print(f"{args.label}: {len(routes)} requests, {same} identical, {len(different)} different "
          f"({len(different) - len(unexplained)} known, {len(unexplained)} unexplained)")
    for who, method, path, found, reason in different:
        print(f"  {'KNOWN' if reason else 'DIFF '} {method} {path} (as {who}): {len(found)} field(s)"
              + (f"\n     known: {reason}" if reason else ""))
        for field, x, y in found[: args.max_fields]:
            print(f"     {field}\n        {args.name_a}: {short(x)}\n        {args.name_b}: {short(y)}")
    if args.json_out:
        json.dump([{"who": w, "method": m, "path": p, "known": r, "fields": [[f, x, y] for f, x, y in found]}
                   for w, m, p, found, r in different], open(args.json_out, "w", encoding="utf-8"),
                  indent=1, ensure_ascii=False)
    return 1 if unexplained else 0


def known(state, path, a, b, found):
    """The reasons a difference is expected (every differing field must have one), or None."""
    messages = [w["message"] for w in state.get("per_message_writes", []) if w["through"] == "ours"]
    same_rows = isinstance(a, list) and isinstance(b, list) and sorted(map(canonical, a)) == sorted(map(canonical, b))
    reasons = set()
    for field, _, _ in found:
        row = re.match(r"\$\[(\d+)\]", field)
        if PATCHES_ON and (any(m in field for m in messages)
                           or field.endswith("average_assistant_message_content_length")):
            # Messages changed through our per-message route, and the statistics made of them.
            reasons.add(LAG)
        elif same_rows and row and tie(a[int(row[1])], b[int(row[1])]):
            reasons.add(TIE)
        elif PATCHES_ON and row and tie(a[int(row[1])], b[int(row[1])]) and isinstance(a, list) and sorted(
            canonical(r) for r in a if not lagging(r, messages)) == sorted(
            canonical(r) for r in b if not lagging(r, messages)):
            # The same rows, apart from the lagging ones (which may sit in a tie). Without
            # pending patches nothing lags: a tie must then hold the very same rows.
            reasons.add(TIE)
        else:
            return None
    return "; ".join(sorted(reasons))


def canonical(row):
    return json.dumps(row, sort_keys=True)


def tie(x, y):
    return (isinstance(x, dict) and isinstance(y, dict) and x.get("id") != y.get("id")
            and x.get("updated_at") is not None and x.get("updated_at") == y.get("updated_at"))


def lagging(row, messages):
    text = canonical(row)
    return any(m in text for m in messages)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("seed", "write"):
        p = sub.add_parser(name)
        p.add_argument("--base", required=True)
        p.add_argument("--tokens", required=True)
        p.add_argument("--state-in")
        p.add_argument("--state-out", required=True)
        p.add_argument("--tick", type=float, default=1.05, help="seconds between writes")
    p = sub.add_parser("compare")
    p.add_argument("--a", required=True)
    p.add_argument("--b", required=True)
    p.add_argument("--name-a", default="open-webui")
    p.add_argument("--name-b", default="ours")
    p.add_argument("--tokens", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--label", default="compare")
    p.add_argument("--max-fields", type=int, default=8)
    p.add_argument("--json-out")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args, "owui")
    elif args.command == "write":
        seed(args, "ours")
    else:
        sys.exit(compare(args))


if __name__ == "__main__":
    main()
