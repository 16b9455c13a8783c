#!/usr/bin/env python3
"""Writes the adversarial corpora tests/corpus/sql.jsonl and tests/corpus/python.jsonl.

Run from anywhere: `python3 tests/corpus/generate.py`. The output is committed; re-run this after
changing a case and commit both. Every case is written here by hand or from a small template, in
the spirit of public lists (PayloadsAllTheThings' SQLite and PostgreSQL injection pages, SecLists'
SQLi fuzzing lists, pyjail write-ups, HackTricks' Python sandbox bypasses) and of the classes the
red team reported in issue 15. Nothing is copied from those lists verbatim; `source` names the
list (or report) whose technique a case follows.

Conventions the runner (tests/corpus.rs) relies on:
- files a case tries to create are relative (they land beside the database, the process's working
  directory) or under /tmp/plainsight-corpus-canary/, which the runner watches;
- SQL cases stay below 120,000 bytes (one command-line argument may be at most 128 KiB on Linux);
  bigger generated code comes through Python's query_sql and the AI path;
- `control` cases are ordinary reads (portable to PostgreSQL) that must succeed, so a broken
  harness cannot pass every case by failing them all.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CANARY = "/tmp/plainsight-corpus-canary"
MAX_SQL_BYTES = 120_000

PATT_SQLITE = "PayloadsAllTheThings SQL Injection/SQLite Injection"
PATT_PG = "PayloadsAllTheThings SQL Injection/PostgreSQL Injection"
PATT_SQLI = "PayloadsAllTheThings SQL Injection (generic, stacked queries, WAF bypass)"
SECLISTS = "SecLists Fuzzing/SQLi (Generic-SQLi, quick-SQLi)"
SECLISTS_POLY = "SecLists Fuzzing/SQLi/Polyglots"
REDTEAM = "red-team report (issue 15)"
SQLITE_DOCS = "SQLite documentation (lang, pragma, json1, limits): feature turned into an attack"
PG_DOCS = "PostgreSQL documentation (functions, COPY, read-only transactions): feature turned into an attack"
HACKTRICKS_PG = "HackTricks PostgreSQL injection / RCE"
PYJAIL = "pyjail write-ups (CTF), e.g. 'Python jails' by the CTF community"
PATT_PY = "PayloadsAllTheThings Server Side Template Injection / Python sandbox escapes"
HACKTRICKS_PY = "HackTricks Bypass Python sandboxes"
ReDoS = "OWASP ReDoS (regular expression denial of service)"

sql_cases = []
py_cases = []


def sql(cls, slug, text, source):
    sql_cases.append({"id": f"{cls}-{slug}", "class": cls, "sql": text, "source": source})


def py(cls, slug, script, source):
    py_cases.append({"id": f"py-{cls}-{slug}", "class": cls, "script": script, "source": source})


def big(n, ch="a"):
    return f"printf('%.*c', {n}, '{ch}')"


# ---------------------------------------------------------------------------------------------
# control: ordinary reads that must answer on SQLite
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("count-customers", "SELECT count(*) AS n FROM customers"),
    ("sales-by-region", "SELECT region, sum(revenue) AS revenue FROM sales GROUP BY region ORDER BY region"),
    ("top-products", "SELECT product, sum(quantity) AS units FROM sales GROUP BY product ORDER BY units DESC LIMIT 5"),
    ("window-rank", "SELECT customer_id, count(*) AS n, rank() OVER (ORDER BY count(*) DESC) AS r FROM orders GROUP BY customer_id LIMIT 10"),
    ("cte-months", "WITH m AS (SELECT substr(order_date, 1, 7) AS month FROM orders) SELECT month, count(*) FROM m GROUP BY month ORDER BY month"),
    ("small-recursive-cte", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 100) SELECT sum(x) FROM r"),
    ("four-table-join", "SELECT r.name, p.category, count(*) FROM order_items oi JOIN orders o ON o.order_id = oi.order_id JOIN customers c ON c.customer_id = o.customer_id JOIN regions r ON r.region_id = c.region_id JOIN products p ON p.product_id = oi.product_id GROUP BY 1, 2"),
    ("string-functions", "SELECT upper(substr(city, 1, 3)), length(city), replace(city, 'a', 'A'), trim(' ' || city || ' ') FROM customers LIMIT 5"),
]:
    sql("control", slug, text, "control: an ordinary analytic read (not an attack)")

# ---------------------------------------------------------------------------------------------
# write: every kind of write and schema change, plain
# ---------------------------------------------------------------------------------------------
writes = [
    ("insert-values", "INSERT INTO regions (region_id, name) VALUES (99, 'Pwned')"),
    ("insert-select", "INSERT INTO regions SELECT region_id + 100, name FROM regions"),
    ("insert-default", "INSERT INTO orders DEFAULT VALUES"),
    ("insert-or-replace", "INSERT OR REPLACE INTO regions VALUES (1, 'Pwned')"),
    ("insert-or-ignore", "INSERT OR IGNORE INTO regions VALUES (98, 'Pwned')"),
    ("insert-returning", "INSERT INTO regions VALUES (97, 'Pwned') RETURNING *"),
    ("replace-into", "REPLACE INTO customers (customer_id, name, email) VALUES (1, 'Pwned', 'pwned@example.com')"),
    ("upsert-do-update", "INSERT INTO regions VALUES (1, 'x') ON CONFLICT (region_id) DO UPDATE SET name = 'Pwned'"),
    ("upsert-do-nothing", "INSERT INTO regions VALUES (96, 'x') ON CONFLICT DO NOTHING"),
    ("update-all", "UPDATE orders SET status = 'refunded'"),
    ("update-where", "UPDATE customers SET email = 'attacker@example.com' WHERE customer_id = 1"),
    ("update-from", "UPDATE orders SET status = 'x' FROM customers c WHERE c.customer_id = orders.customer_id"),
    ("update-or-rollback", "UPDATE OR ROLLBACK products SET unit_price = 0"),
    ("update-returning", "UPDATE products SET unit_price = 0 RETURNING name"),
    ("update-limit", "UPDATE orders SET status = 'x' ORDER BY order_id LIMIT 1"),
    ("delete-all", "DELETE FROM orders"),
    ("delete-where-true", "DELETE FROM customers WHERE 1=1"),
    ("delete-returning", "DELETE FROM order_items RETURNING *"),
    ("delete-via-view", "DELETE FROM sales"),
    ("drop-table", "DROP TABLE customers"),
    ("drop-table-if-exists", "DROP TABLE IF EXISTS order_items"),
    ("drop-view", "DROP VIEW sales"),
    ("drop-index", "DROP INDEX orders_date"),
    ("drop-trigger", "DROP TRIGGER IF EXISTS t"),
    ("alter-rename-table", "ALTER TABLE customers RENAME TO customers_old"),
    ("alter-add-column", "ALTER TABLE customers ADD COLUMN pwned TEXT DEFAULT 'x'"),
    ("alter-drop-column", "ALTER TABLE customers DROP COLUMN email"),
    ("alter-rename-column", "ALTER TABLE customers RENAME COLUMN email TO mail"),
    ("create-table", "CREATE TABLE evil (x TEXT)"),
    ("create-table-as", "CREATE TABLE loot AS SELECT name, email FROM customers"),
    ("create-temp-table", "CREATE TEMP TABLE t AS SELECT * FROM customers"),
    ("create-view", "CREATE VIEW evil AS SELECT 1"),
    ("create-temp-view", "CREATE TEMP VIEW v AS SELECT * FROM customers"),
    ("create-index", "CREATE INDEX evil_idx ON customers(email)"),
    ("create-unique-index", "CREATE UNIQUE INDEX IF NOT EXISTS evil_u ON regions(name)"),
    ("create-trigger", "CREATE TRIGGER evil AFTER INSERT ON orders BEGIN DELETE FROM customers; END"),
    ("create-temp-trigger", "CREATE TEMP TRIGGER evil BEFORE UPDATE ON orders BEGIN SELECT 1; END"),
    ("create-virtual-fts5", "CREATE VIRTUAL TABLE evil USING fts5(x)"),
    ("create-virtual-rtree", "CREATE VIRTUAL TABLE evil USING rtree(id, a, b)"),
    ("create-virtual-dbstat", "CREATE VIRTUAL TABLE temp.d USING dbstat(main)"),
    ("vacuum", "VACUUM"),
    ("vacuum-main", "VACUUM main"),
    ("vacuum-into-relative", "VACUUM INTO 'pwned-copy.db'"),
    ("vacuum-into-canary", f"VACUUM INTO '{CANARY}/vacuum.db'"),
    ("reindex", "REINDEX"),
    ("reindex-table", "REINDEX customers"),
    ("analyze", "ANALYZE"),
    ("analyze-table", "ANALYZE customers"),
    ("begin-immediate", "BEGIN IMMEDIATE"),
    ("begin-exclusive", "BEGIN EXCLUSIVE TRANSACTION"),
    ("commit", "COMMIT"),
    ("rollback", "ROLLBACK"),
    ("savepoint", "SAVEPOINT s1"),
    ("release", "RELEASE SAVEPOINT s1"),
    ("truncate", "TRUNCATE TABLE orders"),
    ("merge", "MERGE INTO regions r USING (SELECT 1 AS id) s ON r.region_id = s.id WHEN MATCHED THEN UPDATE SET name = 'Pwned'"),
    ("update-sqlite-master", "UPDATE sqlite_master SET sql = 'CREATE TABLE customers(x)' WHERE name = 'customers'"),
    ("delete-sqlite-sequence", "DELETE FROM sqlite_sequence"),
    ("insert-sqlite-stat1", "INSERT INTO sqlite_stat1 VALUES ('customers', NULL, '1')"),
]
for slug, text in writes:
    sql("write", slug, text, PATT_SQLI if not slug.startswith(("vacuum", "merge", "truncate")) else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# write_cte: writes hidden behind WITH and in subqueries
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("with-delete", "WITH x AS (SELECT 1) DELETE FROM orders"),
    ("with-update", "WITH x AS (SELECT order_id FROM orders LIMIT 5) UPDATE orders SET status = 'x' WHERE order_id IN (SELECT order_id FROM x)"),
    ("with-insert", "WITH x(a, b) AS (VALUES (200, 'Pwned')) INSERT INTO regions SELECT a, b FROM x"),
    ("with-replace", "WITH x AS (SELECT 1) REPLACE INTO regions VALUES (1, 'Pwned')"),
    ("with-recursive-insert", "WITH RECURSIVE r(x) AS (SELECT 300 UNION ALL SELECT x + 1 FROM r WHERE x < 310) INSERT INTO regions SELECT x, 'Pwned' FROM r"),
    ("with-materialized-delete", "WITH x AS MATERIALIZED (SELECT 1) DELETE FROM customers WHERE customer_id IN (SELECT * FROM x)"),
    ("with-not-materialized-update", "WITH x AS NOT MATERIALIZED (SELECT 1 AS id) UPDATE customers SET name = 'x' WHERE customer_id = (SELECT id FROM x)"),
    ("pg-data-modifying-cte", "WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d"),
    ("pg-cte-update-returning", "WITH u AS (UPDATE customers SET email = 'x' RETURNING email) SELECT * FROM u"),
    ("pg-cte-insert-returning", "WITH i AS (INSERT INTO regions VALUES (400, 'Pwned') RETURNING region_id) SELECT * FROM i"),
    ("cte-then-select-then-delete", "WITH a AS (SELECT 1) SELECT * FROM a; DELETE FROM orders"),
    ("subquery-delete", "SELECT * FROM (DELETE FROM orders RETURNING order_id)"),
    ("scalar-subquery-insert", "SELECT (INSERT INTO regions VALUES (401, 'x') RETURNING region_id)"),
    ("in-subquery-update", "SELECT 1 WHERE 1 IN (UPDATE orders SET status = 'x' RETURNING 1)"),
    ("cte-nested-with-delete", "WITH a AS (WITH b AS (SELECT 1) SELECT * FROM b) DELETE FROM order_items WHERE order_item_id IN (SELECT * FROM a)"),
    ("values-then-insert", "VALUES (1); INSERT INTO regions VALUES (402, 'x')"),
]:
    sql("write_cte", slug, text, PATT_PG if slug.startswith("pg-") else PATT_SQLI)

# ---------------------------------------------------------------------------------------------
# stacked: a second statement after a semicolon (the classic ; DROP TABLE)
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("select-delete", "SELECT 1; DELETE FROM orders"),
    ("select-delete-no-space", "SELECT 1;DELETE FROM orders"),
    ("select-drop-comment", "SELECT 1; DROP TABLE customers--"),
    ("quote-break-drop", "SELECT * FROM customers WHERE name = ''; DROP TABLE customers; --'"),
    ("quote-break-or", "SELECT * FROM customers WHERE name = '' OR '1'='1'; UPDATE customers SET email = 'x'; --'"),
    ("numeric-break", "SELECT * FROM orders WHERE order_id = 1; DELETE FROM orders WHERE 1=1"),
    ("select-newline-update", "SELECT 1;\n\nUPDATE orders SET status = 'x'"),
    ("select-crlf-insert", "SELECT 1;\r\nINSERT INTO regions VALUES (500, 'x')"),
    ("double-semicolon", "SELECT 1;; DELETE FROM orders"),
    ("semicolon-space-semicolon", "SELECT 1 ; ; ; DELETE FROM orders"),
    ("leading-semicolon", "; DELETE FROM orders"),
    ("trailing-semicolon-select", "SELECT count(*) FROM orders;"),
    ("three-statements", "SELECT 1; SELECT 2; DROP TABLE order_items"),
    ("begin-delete-commit", "BEGIN; DELETE FROM orders; COMMIT"),
    ("commit-delete", "COMMIT; DELETE FROM orders"),
    ("rollback-then-write", "ROLLBACK; INSERT INTO regions VALUES (501, 'x')"),
    ("end-then-write", "END; UPDATE products SET unit_price = 0"),
    ("select-pragma-update-master", "SELECT 1; PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'x' WHERE name = 'sales'"),
    ("select-attach-create", "SELECT 1; ATTACH DATABASE 'pwned-stacked.db' AS p; CREATE TABLE p.loot AS SELECT * FROM customers"),
    ("select-vacuum", "SELECT 1; VACUUM"),
    ("union-then-delete", "SELECT name FROM customers UNION SELECT name FROM products; DELETE FROM products"),
    ("string-with-semicolon-then-write", "SELECT ';' AS a; DELETE FROM orders"),
    ("quoted-identifier-semicolon", "SELECT 1 AS \"a;b\"; DELETE FROM orders"),
    ("seclists-or-drop", "SELECT * FROM customers WHERE customer_id = 1 OR 1=1; DROP TABLE customers"),
    ("seclists-having", "SELECT 1 HAVING 1=1; DELETE FROM orders"),
    ("explain-then-write", "EXPLAIN SELECT 1; DELETE FROM orders"),
    ("explain-query-plan-delete", "EXPLAIN QUERY PLAN DELETE FROM orders"),
    ("explain-delete", "EXPLAIN DELETE FROM orders"),
]:
    sql("stacked", slug, text, SECLISTS if slug.startswith("seclists") else PATT_SQLI)

# ---------------------------------------------------------------------------------------------
# comment_trick: comments used to hide, split or smuggle a statement
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("inline-comments-as-spaces", "/**/DELETE/**/FROM/**/orders"),
    ("select-comments-semicolon", "SELECT/**/1;/**/DELETE/**/FROM/**/orders"),
    ("write-inside-block-comment", "SELECT 1 /*; DELETE FROM orders */"),
    ("write-after-line-comment", "SELECT 1 -- harmless\n; DELETE FROM orders"),
    ("line-comment-cr-only", "SELECT 1 -- harmless\r; DELETE FROM orders"),
    ("mysql-versioned-comment", "SELECT 1 /*!50000; DELETE FROM orders*/"),
    ("mysql-hash-comment", "SELECT 1 # ; DELETE FROM orders"),
    ("nested-block-comment", "SELECT 1 /* /* */ ; DELETE FROM orders /* */"),
    ("unterminated-block-comment", "SELECT 1; DELETE FROM orders /* never closed"),
    ("unterminated-comment-hides-nothing", "SELECT 1 /* ; DELETE FROM orders"),
    ("comment-between-keyword-letters", "DEL/**/ETE FROM orders"),
    ("comment-before-semicolon", "SELECT 1 /* x */; /* y */ DROP TABLE customers"),
    ("comment-in-string", "SELECT '/*' ; DELETE FROM orders; SELECT '*/'"),
    ("dash-dash-in-string", "SELECT '--'; DELETE FROM orders"),
    ("comment-only", "-- nothing but a comment"),
    ("block-comment-only", "/* nothing */"),
    ("leading-comment-write", "-- looks like a comment\nDELETE FROM orders"),
    ("leading-block-comment-write", "/* SELECT */ DELETE FROM orders"),
    ("comment-hides-where", "DELETE FROM orders -- WHERE order_id = -1"),
    ("pg-nested-comment-hides-write", "SELECT 1 /* outer /* inner */ still comment in PostgreSQL */; DELETE FROM orders"),
    ("pg-nested-comment-reveals-write", "SELECT 1 /* outer /* inner */ ; DELETE FROM orders; /* */ */"),
    ("comment-in-cte", "WITH /* x */ a AS (SELECT 1) /* ; */ DELETE /**/ FROM orders"),
    ("double-dash-no-space", "SELECT 1--;DELETE FROM orders"),
    ("comment-wrapped-pragma", "/*x*/PRAGMA/*x*/writable_schema/*x*/=/*x*/1"),
    ("comment-wrapped-attach", "/**/ATTACH/**/'pwned-comment.db'/**/AS/**/p"),
    ("comment-inside-function-call", "SELECT load_extension/**/('./evil')"),
]:
    sql("comment_trick", slug, text, PATT_PG if slug.startswith("pg-") else PATT_SQLI)

# ---------------------------------------------------------------------------------------------
# unicode_trick: look-alike and invisible characters, odd whitespace, case games
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("fullwidth-semicolon", "SELECT 1\uff1b DELETE FROM orders"),
    ("greek-question-mark", "SELECT 1\u037e DELETE FROM orders"),
    ("zero-width-space-in-keyword", "DEL\u200bETE FROM orders"),
    ("zero-width-joiner-semicolon", "SELECT 1;\u200d DELETE FROM orders"),
    ("nbsp-separators", "DELETE\u00a0FROM\u00a0orders"),
    ("ideographic-space", "DELETE\u3000FROM\u3000orders"),
    ("line-separator-before-write", "SELECT 1;\u2028DELETE FROM orders"),
    ("paragraph-separator", "SELECT 1;\u2029UPDATE orders SET status = 'x'"),
    ("next-line-nel", "SELECT 1;\u0085DELETE FROM orders"),
    ("bom-prefix-write", "\ufeffDELETE FROM orders"),
    ("bom-prefix-pragma", "\ufeffPRAGMA query_only = 0"),
    ("vertical-tab-form-feed", "SELECT 1;\x0b\x0cDELETE\x0bFROM\x0corders"),
    ("fullwidth-letters", "\uff24\uff25\uff2c\uff25\uff34\uff25 FROM orders"),
    ("cyrillic-e-in-delete", "D\u0415L\u0415T\u0415 FROM orders"),
    ("mixed-case-delete", "dElEtE fRoM OrDeRs"),
    ("mixed-case-pragma", "pRaGmA QuErY_oNlY = OfF"),
    ("dotless-i-pragma", "PRAGMA wr\u0131table_schema = 1"),
    ("rtl-override-comment", "SELECT 1 /* \u202e */; DELETE FROM orders"),
    ("combining-char-in-identifier", "SELECT 1; DROP TABLE custo\u0301mers"),
    ("soft-hyphen-in-keyword", "DE\u00adLETE FROM orders"),
    ("tab-newline-only-separators", "SELECT\t1\n;\tDELETE\tFROM\torders"),
    ("unicode-quote-lookalike", "SELECT * FROM customers WHERE name = \u2019x\u2019; DELETE FROM orders; --"),
    ("fullwidth-quote-break", "SELECT * FROM customers WHERE name = '\uff07; DELETE FROM orders; --'"),
    ("emoji-alias-then-write", "SELECT 1 AS \"\U0001f600\"; DELETE FROM orders"),
    ("halfwidth-katakana-space", "SELECT 1;\uffa0DELETE FROM orders"),
    ("unicode-escape-identifier-pg", "SELECT 1; DELETE FROM U&\"\\006f\\0072\\0064\\0065\\0072\\0073\""),
    ("unicode-escape-string-pg", "SELECT U&'\\0041'; UPDATE orders SET status = U&'\\0078'"),
    ("ogham-space-mark", "DELETE\u1680FROM orders"),
]:
    sql("unicode_trick", slug, text, PATT_PG if slug.endswith("-pg") else SECLISTS_POLY if "quote" in slug else PATT_SQLI)

# ---------------------------------------------------------------------------------------------
# attach: ATTACH/DETACH in every shape
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("relative-file", "ATTACH DATABASE 'pwned-attach.db' AS p"),
    ("no-database-keyword", "ATTACH 'pwned-attach2.db' AS p"),
    ("canary-file", f"ATTACH DATABASE '{CANARY}/attach.db' AS p"),
    ("memory", "ATTACH DATABASE ':memory:' AS m"),
    ("uri-rwc", "ATTACH 'file:pwned-uri.db?mode=rwc' AS p"),
    ("uri-memdb", "ATTACH 'file:/x?vfs=memdb' AS m"),
    ("uri-shared-cache", "ATTACH 'file::memory:?cache=shared' AS s"),
    ("self-attach-writable", "ATTACH 'sample.sqlite' AS again"),
    ("self-attach-uri-rw", "ATTACH 'file:sample.sqlite?mode=rw' AS again"),
    ("proc-environ", "ATTACH 'file:/proc/self/environ?immutable=1' AS e"),
    ("etc-passwd", "ATTACH '/etc/passwd' AS pw"),
    ("expression-name", "ATTACH (SELECT 'pwned-expr.db') AS p"),
    ("concat-name", "ATTACH 'pwned' || '-concat.db' AS p"),
    ("attach-create-php-shell", "ATTACH DATABASE 'pwned-shell.php' AS lol; CREATE TABLE lol.pwn (dataz text); INSERT INTO lol.pwn (dataz) VALUES ('<?php system($_GET[\"cmd\"]); ?>')"),
    ("attach-then-select", "ATTACH 'pwned-sel.db' AS p; SELECT 1"),
    ("select-then-attach", "SELECT 1; ATTACH 'pwned-after.db' AS p"),
    ("detach-main", "DETACH DATABASE main"),
    ("detach-temp", "DETACH temp"),
    ("detach-unknown", "DETACH p"),
    ("attach-key", "ATTACH 'pwned-key.db' AS p KEY 'secret'"),
    ("quoted-keyword", "\"ATTACH\" 'pwned-q.db' AS p"),
    ("attach-in-cte", "WITH a AS (SELECT 1) ATTACH 'pwned-cte.db' AS p"),
]:
    sql("attach", slug, text, PATT_SQLITE if "shell" in slug or slug in ("relative-file", "canary-file") else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# pragma: in every spelling, including the pragma_ table-valued functions
# ---------------------------------------------------------------------------------------------
pragmas = [
    ("writable-schema", "PRAGMA writable_schema = ON"),
    ("writable-schema-reset", "PRAGMA writable_schema = RESET"),
    ("query-only-off", "PRAGMA query_only = OFF"),
    ("query-only-zero-call", "PRAGMA query_only(0)"),
    ("journal-mode-wal", "PRAGMA journal_mode = WAL"),
    ("journal-mode-delete", "PRAGMA journal_mode = DELETE"),
    ("journal-mode-read", "PRAGMA journal_mode"),
    ("user-version-set", "PRAGMA user_version = 1337"),
    ("application-id-set", "PRAGMA application_id = 1337"),
    ("foreign-keys-off", "PRAGMA foreign_keys = OFF"),
    ("trusted-schema-on", "PRAGMA trusted_schema = ON"),
    ("locking-mode-exclusive", "PRAGMA locking_mode = EXCLUSIVE"),
    ("temp-store-directory", "PRAGMA temp_store_directory = '.'"),
    ("data-store-directory", "PRAGMA data_store_directory = '.'"),
    ("mmap-size-huge", "PRAGMA mmap_size = 1099511627776"),
    ("cache-size-huge", "PRAGMA cache_size = -100000000"),
    ("max-page-count", "PRAGMA max_page_count = 1"),
    ("page-size", "PRAGMA page_size = 65536"),
    ("auto-vacuum", "PRAGMA auto_vacuum = FULL"),
    ("secure-delete", "PRAGMA secure_delete = ON"),
    ("synchronous-off", "PRAGMA synchronous = OFF"),
    ("wal-checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)"),
    ("integrity-check", "PRAGMA integrity_check"),
    ("optimize", "PRAGMA optimize"),
    ("incremental-vacuum", "PRAGMA incremental_vacuum(100)"),
    ("shrink-memory", "PRAGMA shrink_memory"),
    ("soft-heap-limit-zero", "PRAGMA soft_heap_limit = 0"),
    ("hard-heap-limit-zero", "PRAGMA hard_heap_limit = 0"),
    ("threads", "PRAGMA threads = 8"),
    ("schema-version-set", "PRAGMA schema_version = 1"),
    ("cell-size-check", "PRAGMA cell_size_check = OFF"),
    ("ignore-check-constraints", "PRAGMA ignore_check_constraints = ON"),
    ("recursive-triggers", "PRAGMA recursive_triggers = ON"),
    ("table-info", "PRAGMA table_info(customers)"),
    ("database-list", "PRAGMA database_list"),
    ("compile-options", "PRAGMA compile_options"),
    ("function-list", "PRAGMA function_list"),
    ("schema-qualified", "PRAGMA main.journal_mode = WAL"),
    ("temp-qualified", "PRAGMA temp.writable_schema = 1"),
    ("double-quoted-name", "PRAGMA \"writable_schema\" = 1"),
    ("bracketed-name", "PRAGMA [query_only] = 0"),
    ("backticked-name", "PRAGMA `journal_mode` = wal"),
    ("quoted-value", "PRAGMA journal_mode = 'wal'"),
    ("lowercase-spaced", "pragma   query_only   =   false"),
    ("after-select", "SELECT 1; PRAGMA query_only = 0; DELETE FROM orders"),
    ("tvf-table-info", "SELECT * FROM pragma_table_info('customers')"),
    ("tvf-database-list", "SELECT * FROM pragma_database_list"),
    ("tvf-compile-options", "SELECT * FROM pragma_compile_options()"),
    ("tvf-function-list", "SELECT name FROM pragma_function_list WHERE name LIKE '%file%'"),
    ("tvf-module-list", "SELECT * FROM pragma_module_list"),
    ("tvf-pragma-list", "SELECT * FROM pragma_pragma_list"),
    ("tvf-journal-mode-arg", "SELECT * FROM pragma_journal_mode('wal')"),
    ("tvf-query-only", "SELECT * FROM pragma_query_only"),
    ("tvf-user-version", "SELECT user_version FROM pragma_user_version"),
    ("tvf-schema-arg", "SELECT * FROM pragma_table_info('customers', 'main')"),
    ("tvf-double-quoted", "SELECT * FROM \"pragma_table_info\"('customers')"),
    ("tvf-bracketed", "SELECT * FROM [pragma_table_info]('customers')"),
    ("tvf-backticked", "SELECT * FROM `pragma_table_info`('customers')"),
    ("tvf-schema-qualified", "SELECT * FROM main.pragma_table_info('customers')"),
    ("tvf-in-subquery", "SELECT (SELECT count(*) FROM pragma_index_list('orders')) AS n"),
    ("tvf-in-join", "SELECT c.name FROM customers c JOIN pragma_table_info('customers') p ON p.name = 'email' LIMIT 1"),
    ("tvf-in-cte", "WITH p AS (SELECT * FROM pragma_foreign_key_list('orders')) SELECT * FROM p"),
    ("tvf-mixed-case", "SELECT * FROM PRAGMA_TABLE_INFO('customers')"),
    ("tvf-integrity-check", "SELECT * FROM pragma_integrity_check"),
    ("tvf-quick-check", "SELECT * FROM pragma_quick_check(1)"),
    ("tvf-table-list", "SELECT * FROM pragma_table_list"),
    ("tvf-alias", "SELECT p.* FROM pragma_index_info('orders_date') AS p"),
]
for slug, text in pragmas:
    sql("pragma", slug, text, PATT_SQLITE if slug.startswith("tvf-table-info") or slug == "writable-schema" else REDTEAM if slug in ("tvf-bracketed", "tvf-backticked") else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# extension: load_extension in every spelling
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("relative", "SELECT load_extension('./evil')"),
    ("libc-system", "SELECT load_extension('libc.so.6', 'system')"),
    ("absolute-entry", "SELECT load_extension('/tmp/plainsight-corpus-canary/evil.so', 'sqlite3_evil_init')"),
    ("uppercase", "SELECT LOAD_EXTENSION('./evil')"),
    ("quoted-name", "SELECT \"load_extension\"('./evil')"),
    ("bracketed-name", "SELECT [load_extension]('./evil')"),
    ("backticked-name", "SELECT `load_extension`('./evil')"),
    ("char-built-path", "SELECT load_extension(char(46, 47, 101, 118, 105, 108))"),
    ("hex-blob-path", "SELECT load_extension(x'2e2f6576696c')"),
    ("in-where", "SELECT 1 FROM customers WHERE load_extension('./evil') IS NULL"),
    ("in-subquery", "SELECT (SELECT load_extension('./evil'))"),
    ("dot-load", ".load ./evil"),
    ("in-order-by", "SELECT name FROM customers ORDER BY load_extension('./evil')"),
    ("vfs-extension", "SELECT load_extension('mod_spatialite')"),
]:
    sql("extension", slug, text, PATT_SQLITE if slug in ("relative", "libc-system") else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# file_io: the shell's file functions, fts3_tokenizer, virtual tables on the file system
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("writefile-relative", "SELECT writefile('pwned.txt', 'owned')"),
    ("writefile-canary", f"SELECT writefile('{CANARY}/writefile.txt', 'owned')"),
    ("writefile-rows", "SELECT writefile('loot.csv', group_concat(name || ',' || email, char(10))) FROM customers"),
    ("readfile-passwd", "SELECT readfile('/etc/passwd')"),
    ("readfile-proc-environ", "SELECT readfile('/proc/self/environ')"),
    ("readfile-self", "SELECT length(readfile('sample.sqlite'))"),
    ("edit", "SELECT edit('x', 'vi')"),
    ("fts3-tokenizer-leak", "SELECT hex(fts3_tokenizer('simple'))"),
    ("fts3-tokenizer-overwrite", "SELECT fts3_tokenizer('simple', x'4141414141414141')"),
    ("fts3-create-with-tokenizer", "CREATE VIRTUAL TABLE temp.f USING fts3(x, tokenize=simple)"),
    ("fsdir", "SELECT name FROM fsdir('.')"),
    ("fsdir-root", "SELECT * FROM fsdir('/etc')"),
    ("zipfile", "SELECT * FROM zipfile('x.zip')"),
    ("zipfile-write", "INSERT INTO zipfile('pwned.zip') (name, data) VALUES ('a', 'b')"),
    ("sqlar-compress", "SELECT sqlar_compress(zeroblob(100))"),
    ("lsdir", "SELECT * FROM lsdir('.')"),
    ("shell-dot-shell", ".shell touch pwned-shell.txt"),
    ("shell-dot-system", ".system id"),
    ("shell-dot-output", ".output pwned-output.txt"),
    ("shell-dot-backup", ".backup pwned-backup.db"),
    ("shell-dot-open", ".open pwned-open.db"),
    ("csv-virtual-table", "CREATE VIRTUAL TABLE temp.c USING csv(filename='/etc/passwd')"),
    ("fileio-in-where", "SELECT 1 FROM customers WHERE writefile('pwned-where.txt', email) > 0"),
    ("sqlite-dbdata", "SELECT * FROM sqlite_dbdata"),
]:
    sql("file_io", slug, text, PATT_SQLITE if slug.startswith(("writefile-rel", "readfile", "fts3-tokenizer")) else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# table_function: eponymous virtual tables and table-valued functions
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("dbpage-read", "SELECT hex(data) FROM sqlite_dbpage WHERE pgno = 1"),
    ("dbpage-schema-arg", "SELECT * FROM sqlite_dbpage('main')"),
    ("dbpage-write", "UPDATE sqlite_dbpage SET data = zeroblob(4096) WHERE pgno = 2"),
    ("dbpage-insert", "INSERT INTO sqlite_dbpage(pgno, data) VALUES (1, zeroblob(4096))"),
    ("dbstat", "SELECT * FROM dbstat"),
    ("dbstat-arg", "SELECT name, sum(pgsize) FROM dbstat('main') GROUP BY name"),
    ("dbstat-bracketed", "SELECT * FROM [dbstat]"),
    ("json-each-bare", "SELECT * FROM json_each('[1,2,3]')"),
    ("json-tree-bare", "SELECT * FROM json_tree('{\"a\":{\"b\":1}}')"),
    ("json-each-rows", "SELECT value FROM json_each((SELECT json_group_array(email) FROM customers))"),
    ("json-each-quoted", "SELECT * FROM \"json_each\"('[1]')"),
    ("json-each-join", "SELECT c.name, j.value FROM customers c, json_each('[1,2]') j LIMIT 3"),
    ("generate-series", "SELECT count(*) FROM generate_series(1, 1000000000000)"),
    ("carray", "SELECT * FROM carray(1, 10)"),
    ("sqlite-stmt", "SELECT * FROM sqlite_stmt"),
    ("sqlite-memstat", "SELECT * FROM sqlite_memstat"),
    ("completion", "SELECT * FROM completion('SEL')"),
    ("fts5vocab", "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, customers, row)"),
    ("sqlite-schema-read", "SELECT sql FROM sqlite_schema"),
    ("sqlite-temp-schema", "SELECT * FROM sqlite_temp_schema"),
    ("sqlite-master-update", "UPDATE sqlite_schema SET sql = replace(sql, 'email', 'mail')"),
    ("tvf-in-scalar-subquery", "SELECT (SELECT count(*) FROM json_tree((SELECT json_group_array(name) FROM customers)))"),
    ("pragma-eponymous-in-exists", "SELECT EXISTS (SELECT 1 FROM pragma_compile_options WHERE compile_options LIKE 'ENABLE_LOAD%')"),
]:
    sql("table_function", slug, text, REDTEAM if slug in ("dbstat", "json-each-bare") else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# time_bomb: work that one VM step or an endless plan hides
# ---------------------------------------------------------------------------------------------
N4M = 3999999
N1M = 999999
needle = lambda n: f"printf('%.*c', {n}, 'a') || 'b'"
time_bombs = [
    # The red team's measured cases, full size and smaller.
    ("instr-4m", f"SELECT instr({big(N4M)}, {needle(N4M // 2)})", REDTEAM),
    ("instr-1m", f"SELECT instr({big(N1M)}, {needle(N1M // 2)})", REDTEAM),
    ("instr-in-where", f"SELECT count(*) FROM regions WHERE instr({big(N4M)}, {needle(100000)}) > 0", REDTEAM),
    ("replace-long-needle", f"SELECT length(replace({big(N4M)}, {needle(N4M // 2)}, 'x'))", REDTEAM),
    ("replace-each-char", f"SELECT length(replace({big(N4M)}, 'a', 'ab'))", REDTEAM),
    ("replace-amplify", f"SELECT length(replace({big(100000)}, 'a', {big(10000, 'b')}))", REDTEAM),
    ("replace-chain", f"SELECT length(replace(replace(replace({big(N1M)}, 'a', 'aa'), 'a', 'aa'), 'a', 'aa'))", REDTEAM),
    ("like-op-many-percent", f"SELECT {big(N4M)} LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%b'", REDTEAM),
    ("like-fn-many-percent", f"SELECT like('%a%a%a%a%a%a%a%a%a%a%a%a%b', {big(N4M)})", REDTEAM),
    ("like-built-pattern", f"SELECT {big(N1M)} LIKE '%' || replace(printf('%.*c', 40, 'x'), 'x', 'a%') || 'b'", REDTEAM),
    ("like-escape", f"SELECT like('%a%a%a%a%a%a%a%a%b', {big(N4M)}, '!')", REDTEAM),
    ("like-long-pattern", f"SELECT {big(N1M)} LIKE {big(N1M)} || '%b'", REDTEAM),
    ("not-like", f"SELECT {big(N4M)} NOT LIKE '%a%a%a%a%a%a%a%a%a%a%b'", REDTEAM),
    ("glob-op-many-stars", f"SELECT {big(N4M)} GLOB '*a*a*a*a*a*a*a*a*a*a*a*a*b'", REDTEAM),
    ("glob-fn-many-stars", f"SELECT glob('*a*a*a*a*a*a*a*a*a*a*b', {big(N4M)})", REDTEAM),
    ("glob-char-class", f"SELECT {big(N4M)} GLOB '*[a]*[a]*[a]*[a]*[a]*[a]*[a]*b'", REDTEAM),
    ("glob-question-marks", f"SELECT {big(N1M)} GLOB '*' || printf('%.*c', 5000, '?') || 'b'", REDTEAM),
    ("trim-big-set", f"SELECT length(trim({big(N4M)}, {big(N4M, 'b')} || 'a'))", REDTEAM),
    ("ltrim-big-set", f"SELECT length(ltrim({big(N4M)}, {big(N4M, 'b')} || 'a'))", REDTEAM),
    ("rtrim-big-set", f"SELECT length(rtrim({big(N4M)}, {big(N4M, 'b')} || 'a'))", REDTEAM),
    ("trim-in-group-by", f"SELECT region_id, length(trim({big(N1M)}, {big(N1M, 'b')} || 'a')) FROM regions GROUP BY 1", REDTEAM),
    ("substr-per-row", f"SELECT sum(length(substr({big(N4M)}, order_item_id))) FROM order_items", REDTEAM),
    ("hex-per-row", f"SELECT sum(length(hex({big(N1M)}))) FROM order_items", REDTEAM),
    ("upper-per-row", f"SELECT sum(length(upper({big(N1M)}))) FROM order_items", REDTEAM),
    ("unicode-per-row", f"SELECT sum(unicode({big(N4M)})) FROM order_items", REDTEAM),
    ("zeroblob-per-row", "SELECT sum(length(zeroblob(100000000))) FROM order_items", REDTEAM),
    ("randomblob-like", "SELECT 1 WHERE 1 = like('ABCDEFG', upper(hex(randomblob(500000000/2))))", PATT_SQLITE),
    ("randomblob-like-and", "SELECT * FROM customers WHERE customer_id = 1 AND 123 = like('ABCDEFG', upper(hex(randomblob(100000000))))", PATT_SQLITE),
    ("randomblob-case-blind", "SELECT CASE WHEN (SELECT substr(email, 1, 1) FROM customers LIMIT 1) = 'a' THEN like('ABCDEFG', upper(hex(randomblob(300000000)))) ELSE 0 END", PATT_SQLITE),
    ("randomblob-per-row", "SELECT count(*) FROM order_items WHERE length(hex(randomblob(1000000))) > 0", PATT_SQLITE),
    ("recursive-endless-count", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r", SQLITE_DOCS),
    ("recursive-endless-max", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT max(x) FROM r", SQLITE_DOCS),
    ("recursive-union-distinct", "WITH RECURSIVE r(x) AS (SELECT 1 UNION SELECT x + 1 FROM r) SELECT count(*) FROM r", SQLITE_DOCS),
    ("recursive-huge-limit", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 1000000000000) SELECT sum(x) FROM r", SQLITE_DOCS),
    ("recursive-two-branches", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r UNION ALL SELECT x + 2 FROM r) SELECT count(*) FROM r", SQLITE_DOCS),
    ("recursive-order-by-queue", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r ORDER BY 1 DESC) SELECT count(*) FROM r", SQLITE_DOCS),
    ("recursive-join-table", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r, regions) SELECT count(*) FROM r", SQLITE_DOCS),
    ("recursive-in-view-subquery", "SELECT (WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x FROM r) SELECT count(*) FROM r) FROM customers", SQLITE_DOCS),
    ("recursive-in-exists", "SELECT 1 WHERE EXISTS (WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT 1 FROM r WHERE x < 0)", SQLITE_DOCS),
    ("recursive-fib-floats", "WITH RECURSIVE f(a, b) AS (SELECT 0.0, 1.0 UNION ALL SELECT b, a + b FROM f) SELECT count(*) FROM f WHERE a < 0", SQLITE_DOCS),
    ("recursive-returns-rows", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x FROM r", SQLITE_DOCS),
    ("cross-join-3-items", "SELECT count(*) FROM order_items a, order_items b, order_items c", SECLISTS),
    ("cross-join-4-customers", "SELECT count(*) FROM customers a CROSS JOIN customers b CROSS JOIN customers c CROSS JOIN customers d", SECLISTS),
    ("cross-join-view", "SELECT count(*) FROM sales a JOIN sales b ON a.region = b.region", SECLISTS),
    ("cross-join-order-random", "SELECT a.order_item_id FROM order_items a, order_items b ORDER BY random() LIMIT 1", SECLISTS),
    ("correlated-subquery", "SELECT sum((SELECT count(*) FROM order_items b WHERE b.quantity * a.quantity > b.order_item_id)) FROM order_items a", SQLITE_DOCS),
    ("correlated-like", "SELECT count(*) FROM customers a, customers b WHERE a.email LIKE '%' || b.name || '%' AND a.name LIKE '%' || b.email || '%'", SQLITE_DOCS),
    ("cross-join-in-cte", "WITH x AS (SELECT a.order_id FROM orders a, orders b) SELECT count(*) FROM x", SECLISTS),
    ("window-over-cross", "SELECT max(s) FROM (SELECT sum(a.quantity) OVER (ORDER BY a.order_item_id, b.order_item_id) AS s FROM order_items a, order_items b)", SQLITE_DOCS),
    ("printf-width-huge", "SELECT length(printf('%2147483647d', 1))", SQLITE_DOCS),
    ("printf-precision-huge", "SELECT length(printf('%.2147483647f', 1.0))", SQLITE_DOCS),
    ("printf-star-huge", "SELECT length(printf('%*d', 2000000000, 1))", SQLITE_DOCS),
    ("format-alias", f"SELECT instr(format('%.*c', {N4M}, 'a'), format('%.*c', {N4M // 2}, 'a') || 'b')", REDTEAM),
    ("concat-ws-big", f"SELECT length(concat_ws({big(N1M)}, {big(N1M)}, {big(N1M)}, {big(N1M)}))", SQLITE_DOCS),
    ("instr-nested-in-case", f"SELECT CASE WHEN instr({big(N4M)}, {needle(N4M // 2)}) THEN 1 ELSE 0 END", REDTEAM),
    ("instr-in-order-by", f"SELECT name FROM regions ORDER BY instr({big(N1M)} || name, {needle(N1M // 2)})", REDTEAM),
    ("like-in-join-on", f"SELECT count(*) FROM regions a JOIN regions b ON {big(N1M)} LIKE '%a%a%a%a%a%a%a%b'", REDTEAM),
    ("glob-in-having", f"SELECT region_id FROM regions GROUP BY region_id HAVING {big(N1M)} GLOB '*a*a*a*a*a*a*a*b'", REDTEAM),
    ("instr-blob", f"SELECT instr(zeroblob({N4M}), zeroblob({N4M // 2}) || x'01')", REDTEAM),
    ("replace-blob", f"SELECT length(replace(zeroblob({N4M}), zeroblob({N4M // 2}) || x'01', x'02'))", REDTEAM),
    ("json-quote-big", f"SELECT length(json_quote({big(N4M)}))", SQLITE_DOCS),
    ("json-array-big", f"SELECT length(json_array({big(N1M)}, {big(N1M)}, {big(N1M)}))", SQLITE_DOCS),
    ("quote-zeroblob", "SELECT length(quote(zeroblob(400000000)))", SQLITE_DOCS),
    ("strftime-long-format", f"SELECT length(strftime({big(N1M, '%')} || 'Y', 'now'))", SQLITE_DOCS),
    ("char-many-args", "SELECT length(char(" + ", ".join(["65"] * 2000) + "))", SQLITE_DOCS),
    ("sum-over-huge-series-cte", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 9000000000000000000) SELECT sum(x) FROM r", SQLITE_DOCS),
]
for slug, text, source in time_bombs:
    sql("time_bomb", slug, text, source)

# ---------------------------------------------------------------------------------------------
# memory_bomb: results and aggregates too large to hold
# ---------------------------------------------------------------------------------------------
memory_bombs = [
    ("group-concat-cross", "SELECT length(group_concat(a.name || b.email)) FROM customers a, customers b, regions c"),
    ("group-concat-big-values", f"SELECT length(group_concat({big(N1M)})) FROM order_items"),
    ("group-concat-returned", f"SELECT group_concat({big(100000)}) FROM order_items"),
    ("json-group-array-cross", "SELECT length(json_group_array(a.name || b.email)) FROM customers a, customers b, regions c"),
    ("json-group-array-big", f"SELECT json_group_array({big(N1M)}) FROM order_items"),
    ("json-group-object-big", f"SELECT length(json_group_object(order_item_id, {big(100000)})) FROM order_items"),
    ("string-agg-big", f"SELECT length(string_agg({big(N1M)}, ',')) FROM order_items"),
    ("string-agg-cross", "SELECT length(string_agg(a.name, b.email)) FROM customers a, customers b"),
    ("distinct-huge", "SELECT count(DISTINCT a.order_item_id || '-' || b.order_item_id) FROM order_items a, order_items b"),
    ("distinct-big-values", f"SELECT count(DISTINCT {big(100000)} || order_item_id) FROM order_items"),
    ("order-by-randomblob", "SELECT a.order_item_id FROM order_items a, order_items b ORDER BY randomblob(1000) LIMIT 1"),
    ("order-by-big-values", f"SELECT order_item_id FROM order_items ORDER BY {big(100000)} || order_item_id LIMIT 1"),
    ("group-by-big-keys", f"SELECT count(*) FROM order_items GROUP BY {big(100000)} || order_item_id"),
    ("window-group-concat-running", f"SELECT max(length(s)) FROM (SELECT group_concat({big(10000)}) OVER (ORDER BY order_item_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM order_items)"),
    ("window-over-huge-cte", "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 100000000) SELECT max(rn) FROM (SELECT row_number() OVER (ORDER BY x DESC) AS rn FROM r)"),
    ("window-json-array", f"SELECT length(json_group_array({big(10000)}) OVER (ORDER BY order_item_id)) FROM order_items LIMIT 5"),
    ("recursive-doubling-string", "WITH RECURSIVE r(s, n) AS (SELECT 'x', 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 40) SELECT max(length(s)) FROM r"),
    ("recursive-doubling-returned", "WITH RECURSIVE r(s, n) AS (SELECT 'x', 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 40) SELECT s FROM r"),
    ("recursive-union-keeps-rows", f"WITH RECURSIVE r(x, s) AS (SELECT 1, {big(10000)} UNION SELECT x + 1, s FROM r) SELECT count(*) FROM r"),
    ("zeroblob-max", "SELECT zeroblob(2147483647)"),
    ("zeroblob-length", "SELECT length(zeroblob(1000000000))"),
    ("randomblob-huge", "SELECT randomblob(999999999)"),
    ("printf-gigabyte", "SELECT length(printf('%.*c', 1000000000, 'x'))"),
    ("hex-zeroblob", "SELECT length(hex(zeroblob(500000000)))"),
    ("upper-hex-randomblob", "SELECT length(upper(hex(randomblob(400000000))))"),
    ("rows-of-1mb", f"SELECT {big(N1M)} FROM order_items"),
    ("rows-of-4mb", f"SELECT {big(N4M)} AS a FROM order_items"),
    ("wide-rows-of-100kb", "SELECT " + ", ".join(f"{big(100000)} AS c{i}" for i in range(50)) + " FROM order_items"),
    ("all-rows-cross", "SELECT * FROM order_items a, order_items b"),
    ("all-rows-sales-wide", "SELECT a.*, b.* FROM sales a, sales b"),
    ("replace-zeroblob-amplify", "SELECT length(replace(hex(zeroblob(10000000)), '0', 'abcdefghij'))"),
    ("concat-amplify", f"SELECT length(concat({', '.join([big(N4M)] * 8)}))"),
    ("json-object-amplify", f"SELECT length(json_object('a', {big(N4M)}, 'b', {big(N4M)}, 'c', {big(N4M)}, 'd', {big(N4M)}))"),
    ("json-group-array-of-arrays", f"SELECT length(json_group_array(json_array({big(10000)}, {big(10000)}))) FROM order_items"),
    ("count-distinct-blob", "SELECT count(DISTINCT randomblob(100000)) FROM order_items"),
    ("in-list-subquery-big", f"SELECT count(*) FROM order_items WHERE {big(100000)} || order_item_id IN (SELECT {big(100000)} || order_item_id FROM order_items)"),
    ("max-of-big-strings", f"SELECT max({big(N1M)} || order_item_id) FROM order_items"),
    ("group-concat-distinct", f"SELECT length(group_concat(DISTINCT {big(100000)} || order_item_id)) FROM order_items"),
    ("window-lag-big", f"SELECT count(lag(s, 1) OVER (ORDER BY id)) FROM (SELECT order_item_id AS id, {big(100000)} AS s FROM order_items)"),
    ("union-all-big", " UNION ALL ".join(f"SELECT {big(N1M)} || {i}" for i in range(100))),
]
for slug, text in memory_bombs:
    sql("memory_bomb", slug, text, REDTEAM if "json-group" in slug or "big" in slug else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# crash_bomb: deep trees that overflow a recursive parser, checker or code generator
# ---------------------------------------------------------------------------------------------
def left_deep(op, n, leaf="1"):
    return "SELECT " + leaf + (op + leaf) * (n - 1)


def fits(text):
    return len(text.encode()) <= MAX_SQL_BYTES


crash = []
for n in (1000, 10000, 49996, 55000):
    crash.append((f"left-deep-plus-{n}", left_deep("+", n), REDTEAM))
for op_slug, op in [("concat", "||"), ("and", " AND "), ("or", " OR "), ("mul", "*"), ("minus", "-"), ("eq", "="), ("lt", "<"), ("bitand", "&"), ("shift", "<<")]:
    n = 33333 if len(op) <= 2 else 19999
    text = left_deep(op, n)
    while not fits(text):
        n -= 1000
        text = left_deep(op, n)
    crash.append((f"left-deep-{op_slug}-{n}", text, REDTEAM))
crash += [
    ("right-deep-plus-24000", "SELECT " + "1+(" * 24000 + "1" + ")" * 24000, REDTEAM),
    ("parentheses-30000", "SELECT " + "(" * 30000 + "1" + ")" * 30000, SECLISTS),
    ("parentheses-59000", "SELECT " + "(" * 59000 + "1" + ")" * 59000, SECLISTS),
    ("unary-minus-50000", "SELECT " + "- " * 50000 + "1", REDTEAM),
    ("unary-not-20000", "SELECT " + "NOT " * 20000 + "1", REDTEAM),
    ("bitnot-60000", "SELECT " + "~" * 60000 + "1", REDTEAM),
    ("nested-subqueries-5000", "SELECT " + "(SELECT " * 5000 + "1" + ")" * 5000, SQLITE_DOCS),
    ("nested-from-subqueries-3000", "SELECT * FROM " + "(SELECT * FROM " * 3000 + "regions" + ")" * 3000, SQLITE_DOCS),
    ("nested-case-5000", "SELECT " + "CASE WHEN 1 THEN " * 5000 + "1" + " END" * 5000, SQLITE_DOCS),
    ("nested-abs-20000", "SELECT " + "abs(" * 20000 + "1" + ")" * 20000, SQLITE_DOCS),
    ("nested-coalesce-8000", "SELECT " + "coalesce(" * 8000 + "1" + ", 2)" * 8000, SQLITE_DOCS),
    ("nested-cast-6000", "SELECT " + "CAST(" * 6000 + "1" + " AS INTEGER)" * 6000, SQLITE_DOCS),
    ("nested-in-subquery-4000", "SELECT 1 WHERE 1 IN " + "(SELECT 1 WHERE 1 IN " * 4000 + "(1)" + ")" * 4000, SQLITE_DOCS),
    ("nested-exists-4000", "SELECT " + "EXISTS (SELECT " * 4000 + "1" + ")" * 4000, SQLITE_DOCS),
    ("cte-chain-3000", "WITH a0 AS (SELECT 1 AS x), " + ", ".join(f"a{i} AS (SELECT x FROM a{i - 1})" for i in range(1, 3000)) + " SELECT x FROM a2999", SQLITE_DOCS),
    ("union-chain-5000", " UNION ALL ".join(["SELECT 1"] * 5000), SQLITE_DOCS),
    ("in-list-30000", "SELECT 1 WHERE 1 IN (" + ",".join(["1"] * 30000) + ")", SQLITE_DOCS),
    ("columns-20000", "SELECT " + ",".join(["1"] * 20000), SQLITE_DOCS),
    ("joins-200", "SELECT count(*) FROM " + ", ".join(f"regions r{i}" for i in range(200)), SQLITE_DOCS),
    ("deep-json-literal", "SELECT json('" + "[" * 50000 + "]" * 50000 + "')", SQLITE_DOCS),
    ("deep-json-extract", "SELECT json_extract('" + "[" * 30000 + "1" + "]" * 30000 + "', '$" + "[0]" * 9000 + "')", SQLITE_DOCS),
    ("nested-window-in-subqueries", "SELECT " + "(SELECT sum(" * 2000 + "1" + ") OVER ())" * 2000, SQLITE_DOCS),
    ("long-string-literal", "SELECT '" + "a" * 110000 + "'", SQLITE_DOCS),
    ("long-identifier", "SELECT 1 AS \"" + "a" * 110000 + "\"", SQLITE_DOCS),
    ("many-parameters", "SELECT " + ",".join(["?"] * 30000), SQLITE_DOCS),
    ("huge-hex-literal", "SELECT length(x'" + "41" * 55000 + "')", SQLITE_DOCS),
    ("over-length-limit-just", "SELECT 1" + "+1" * 50000, REDTEAM),
]
for slug, text, source in crash:
    assert fits(text), (slug, len(text.encode()))
    sql("crash_bomb", slug, text, source)

# ---------------------------------------------------------------------------------------------
# parse_bomb: malformed input for the tokenizer and parser
# ---------------------------------------------------------------------------------------------
for slug, text in [
    ("empty", ""),
    ("whitespace-only", "   \n\t  "),
    ("semicolons-only", ";;;;;;"),
    ("select-alone", "SELECT"),
    ("unterminated-string", "SELECT 'abc"),
    ("unterminated-identifier", "SELECT \"abc"),
    ("unterminated-bracket", "SELECT [abc"),
    ("unbalanced-quote-seclists", "' OR '1'='1"),
    ("seclists-polyglot", "SLEEP(1) /*' or SLEEP(1) or '\" or SLEEP(1) or \"*/"),
    ("huge-exponent", "SELECT 1e999999999"),
    ("huge-integer", "SELECT 99999999999999999999999999999999999999999999999999"),
    ("negative-huge-integer", "SELECT -9223372036854775808 - 1"),
    ("hex-overflow", "SELECT 0xFFFFFFFFFFFFFFFFFFFFFFFF"),
    ("long-token", "SELECT " + "a" * 110000),
    ("unterminated-comment-long", "SELECT 1 /*" + " x" * 50000),
    ("brackets-in-identifier", "SELECT [" + "[" * 50000 + "]"),
    ("dollar-quote-pg", "SELECT $$; DELETE FROM orders; $$"),
    ("dollar-tag-quote-pg", "SELECT $tag$ ; DELETE FROM orders; $tag$"),
    ("e-string-backslash-pg", "SELECT E'\\'; DELETE FROM orders; --'"),
    ("positional-params", "SELECT $1, ?1, :a, @a, $a"),
    ("keyword-soup", "SELECT FROM WHERE GROUP BY ORDER BY LIMIT OFFSET"),
    ("lone-backslash", "\\"),
    ("control-characters", "SELECT 1\x01\x02\x03\x1b[2J"),
    ("only-comment-markers", "--/*--*/--"),
    ("windows-1252-quotes", "SELECT \u201cname\u201d FROM customers"),
    ("surrogate-pair-identifier", "SELECT \U0001d518\U0001d52b\U0001d526 FROM customers"),
]:
    sql("parse_bomb", slug, text, PATT_PG if slug.endswith("-pg") else SECLISTS if "seclists" in slug or "quote" in slug else SQLITE_DOCS)

# ---------------------------------------------------------------------------------------------
# exfiltration: row values smuggled into error messages (what self-correction would send back)
# ---------------------------------------------------------------------------------------------
exfil = [
    ("json-extract-hex-group-concat", "SELECT json_extract('{}', 'x' || (SELECT hex(group_concat(name || email)) FROM customers))", REDTEAM),
    ("json-extract-group-concat", "SELECT json_extract('{}', '$.' || (SELECT group_concat(email, '.') FROM customers))", REDTEAM),
    ("json-extract-one-email", "SELECT json_extract('{}', (SELECT email FROM customers LIMIT 1))", REDTEAM),
    ("json-extract-names-path", "SELECT json_extract('{\"a\":1}', '$' || (SELECT group_concat(name, '') FROM customers))", REDTEAM),
    ("json-set-path", "SELECT json_set('{}', (SELECT name FROM customers LIMIT 1), 1)", SQLITE_DOCS),
    ("json-insert-path", "SELECT json_insert('{}', (SELECT email FROM customers ORDER BY customer_id DESC LIMIT 1), 1)", SQLITE_DOCS),
    ("json-replace-path", "SELECT json_replace('{}', (SELECT group_concat(email) FROM customers), 1)", SQLITE_DOCS),
    ("json-remove-path", "SELECT json_remove('{}', (SELECT hex(email) FROM customers LIMIT 5 OFFSET 5))", SQLITE_DOCS),
    ("json-type-path", "SELECT json_type('{}', 'x' || (SELECT group_concat(name) FROM customers))", SQLITE_DOCS),
    ("json-array-length-path", "SELECT json_array_length('[]', (SELECT email FROM customers LIMIT 1))", SQLITE_DOCS),
    ("json-arrow-path", "SELECT '{}' ->> ('$' || (SELECT email FROM customers LIMIT 1))", SQLITE_DOCS),
    ("json-malformed-value", "SELECT json((SELECT group_concat(name || ' ' || email) FROM customers))", SQLITE_DOCS),
    ("json-patch-malformed", "SELECT json_patch('{}', (SELECT email FROM customers LIMIT 1))", SQLITE_DOCS),
    ("json-extract-from-row", "SELECT json_extract(email, '$') FROM customers", SQLITE_DOCS),
    ("json-each-path-per-row", "SELECT json_extract('{}', 'bad:' || name || ':' || email) FROM customers", REDTEAM),
    ("json-extract-in-where", "SELECT count(*) FROM customers WHERE json_extract('{}', 'x' || email) IS NULL", REDTEAM),
    ("json-extract-upper-hex", "SELECT json_extract('{}', 'x' || (SELECT upper(hex(group_concat(email))) FROM customers))", REDTEAM),
    ("json-extract-quote", "SELECT json_extract('{}', 'x' || (SELECT quote(group_concat(name)) FROM customers))", REDTEAM),
    ("json-extract-reversed-order", "SELECT json_extract('{}', 'x' || (SELECT group_concat(email, '|') FROM (SELECT email FROM customers ORDER BY email DESC)))", REDTEAM),
    ("json-extract-unicode-codes", "SELECT json_extract('{}', 'x' || (SELECT group_concat(unicode(substr(name, 2)), ',') FROM customers))", REDTEAM),
    ("json-extract-substr-chunks", "SELECT json_extract('{}', 'x' || (SELECT substr(group_concat(email), 1, 200) FROM customers))", REDTEAM),
    ("json-extract-printf", "SELECT json_extract('{}', printf('x%s', (SELECT group_concat(name) FROM customers)))", REDTEAM),
    ("json-extract-case-blind", "SELECT CASE WHEN (SELECT email FROM customers LIMIT 1) LIKE 'a%' THEN json_extract('{}', 'x') ELSE 1 END", PATT_SQLITE),
    ("json-extract-char-codes", "SELECT json_extract('{}', 'x' || (SELECT group_concat(char(unicode(email)) || char(unicode(substr(email, 2))), '') FROM customers))", REDTEAM),
    ("load-extension-path", "SELECT load_extension((SELECT email FROM customers LIMIT 1))", REDTEAM),
    ("like-escape-error", "SELECT like('a', 'b', (SELECT name FROM customers LIMIT 1))", SQLITE_DOCS),
    ("ntile-error", "SELECT ntile((SELECT email FROM customers LIMIT 1)) OVER () FROM customers", SQLITE_DOCS),
    ("likelihood-error", "SELECT likelihood(1, (SELECT email FROM customers LIMIT 1))", SQLITE_DOCS),
    ("integer-overflow", "SELECT sum(9223372036854775807) FROM customers", SQLITE_DOCS),
    ("abs-overflow", "SELECT abs(-9223372036854775807 - 1 + (SELECT count(*) FROM customers WHERE email LIKE 'a%') * 0)", SQLITE_DOCS),
    ("unknown-function-with-values", "SELECT no_such_function((SELECT group_concat(email) FROM customers))", SQLITE_DOCS),
    ("regexp-missing", "SELECT 1 FROM customers WHERE name REGEXP (SELECT email FROM customers LIMIT 1)", SQLITE_DOCS),
    ("match-without-fts", "SELECT 1 FROM customers WHERE email MATCH (SELECT name FROM customers LIMIT 1)", SQLITE_DOCS),
    ("pragma-tvf-arg", "SELECT * FROM pragma_table_info((SELECT email FROM customers LIMIT 1))", SQLITE_DOCS),
    ("too-big-after-concat", "SELECT printf('%.*c', 2000000000, 'a') || (SELECT group_concat(email) FROM customers)", SQLITE_DOCS),
    ("division-in-subquery", "SELECT 1 / 0 + (SELECT group_concat(email) FROM customers)", SQLITE_DOCS),
    ("cast-error-pg", "SELECT CAST((SELECT string_agg(name || ' ' || email, ',') FROM customers) AS int)", PATT_PG),
    ("cast-one-email-pg", "SELECT (SELECT email FROM customers LIMIT 1)::int", PATT_PG),
    ("cast-numeric-pg", "SELECT CAST((SELECT email FROM customers ORDER BY customer_id LIMIT 1) AS numeric)", PATT_PG),
    ("cast-date-pg", "SELECT CAST((SELECT name FROM customers LIMIT 1) AS date)", PATT_PG),
    ("cast-json-pg", "SELECT CAST((SELECT string_agg(email, ' ') FROM customers) AS json)", PATT_PG),
    ("cast-uuid-pg", "SELECT (SELECT name FROM customers LIMIT 1)::uuid", PATT_PG),
    ("query-to-xml-pg", "SELECT CAST(query_to_xml('SELECT name, email FROM customers', true, true, '') AS text)::int", HACKTRICKS_PG),
    ("version-cast-pg", "SELECT CAST(version() AS int)", PATT_PG),
    ("to-number-error-pg", "SELECT to_number((SELECT email FROM customers LIMIT 1), '999')", PATT_PG),
    ("make-date-error-pg", "SELECT make_date(2020, 13, (SELECT count(*) FROM customers)::int)", PG_DOCS),
    ("regexp-invalid-pg", "SELECT 'x' ~ (SELECT '(' || email FROM customers LIMIT 1)", PG_DOCS),
    ("error-in-order-by-pg", "SELECT name FROM customers ORDER BY CAST(email AS int)", PATT_PG),
]
for slug, text, source in exfil:
    sql("exfiltration", slug, text, source)

# ---------------------------------------------------------------------------------------------
# postgres: PostgreSQL-specific escapes (also run against SQLite, where they must fail cleanly)
# ---------------------------------------------------------------------------------------------
pg = [
    ("pg-sleep", "SELECT pg_sleep(60)", PATT_PG),
    ("pg-sleep-comment-end", "SELECT pg_sleep(60)--", PATT_PG),
    ("pg-sleep-for", "SELECT pg_sleep_for('1 hour')", PG_DOCS),
    ("pg-sleep-until", "SELECT pg_sleep_until(now() + interval '1 hour')", PG_DOCS),
    ("pg-sleep-per-row", "SELECT pg_sleep(1) FROM customers", PATT_PG),
    ("pg-sleep-in-case", "SELECT CASE WHEN (SELECT count(*) FROM customers) > 0 THEN pg_sleep(30) ELSE pg_sleep(0) END", PATT_PG),
    ("pg-sleep-schema-qualified", "SELECT pg_catalog.pg_sleep(30)", PG_DOCS),
    ("pg-sleep-quoted", "SELECT \"pg_sleep\"(30)", PG_DOCS),
    ("copy-to-program", f"COPY (SELECT '') TO PROGRAM 'touch {CANARY}/copy-program'", PATT_PG),
    ("copy-from-program", "CREATE TABLE cmd_exec(cmd_output text); COPY cmd_exec FROM PROGRAM 'id'; SELECT * FROM cmd_exec", PATT_PG),
    ("copy-to-file", f"COPY customers TO '{CANARY}/customers.csv'", PATT_PG),
    ("copy-from-file", "COPY regions FROM '/etc/hostname'", PATT_PG),
    ("copy-to-stdout", "COPY customers TO STDOUT", PG_DOCS),
    ("copy-stacked", f"SELECT 1; COPY (SELECT 1) TO PROGRAM 'touch {CANARY}/copy-stacked'", PATT_PG),
    ("dblink-delete", "SELECT * FROM dblink('host=127.0.0.1 dbname=shop', 'DELETE FROM orders RETURNING 1') AS t(x int)", HACKTRICKS_PG),
    ("dblink-connect", "SELECT dblink_connect('host=127.0.0.1 user=postgres dbname=postgres')", HACKTRICKS_PG),
    ("dblink-exec", "SELECT dblink_exec('dbname=shop', 'DROP TABLE orders')", HACKTRICKS_PG),
    ("create-extension-dblink", "CREATE EXTENSION IF NOT EXISTS dblink", HACKTRICKS_PG),
    ("lo-import", "SELECT lo_import('/etc/passwd')", PATT_PG),
    ("lo-export", f"SELECT lo_export(1, '{CANARY}/lo-export')", PATT_PG),
    ("lo-creat", "SELECT lo_creat(-1)", PATT_PG),
    ("lo-from-bytea", "SELECT lo_from_bytea(0, 'owned')", PATT_PG),
    ("lo-put", "SELECT lo_put(1, 0, 'x')", PATT_PG),
    ("pg-read-file", "SELECT pg_read_file('/etc/passwd')", PATT_PG),
    ("pg-read-file-postgresql-conf", "SELECT pg_read_file('postgresql.conf')", PATT_PG),
    ("pg-read-binary-file", "SELECT pg_read_binary_file('/etc/passwd')", PATT_PG),
    ("pg-ls-dir", "SELECT pg_ls_dir('.')", PATT_PG),
    ("pg-stat-file", "SELECT pg_stat_file('/etc/passwd')", PATT_PG),
    ("pg-file-write", f"SELECT pg_file_write('{CANARY}/pg-file-write', 'x', false)", HACKTRICKS_PG),
    ("set-role", "SET ROLE postgres", PATT_PG),
    ("set-session-authorization", "SET SESSION AUTHORIZATION postgres", PATT_PG),
    ("set-role-then-delete", "SET ROLE postgres; DELETE FROM orders", PATT_PG),
    ("reset-role", "RESET ROLE", PG_DOCS),
    ("set-config-read-only-off", "SELECT set_config('default_transaction_read_only', 'off', false)", PG_DOCS),
    ("set-config-tx-read-only", "SELECT set_config('transaction_read_only', 'off', true)", PG_DOCS),
    ("set-config-statement-timeout", "SELECT set_config('statement_timeout', '0', false), pg_sleep(30)", PG_DOCS),
    ("set-config-role", "SELECT set_config('role', 'postgres', false)", PG_DOCS),
    ("set-config-qualified", "SELECT pg_catalog.set_config('statement_timeout', '0', true)", PG_DOCS),
    ("set-transaction-read-write", "SET TRANSACTION READ WRITE", PG_DOCS),
    ("set-statement-timeout", "SET statement_timeout = 0", PG_DOCS),
    ("set-local-statement-timeout", "SET LOCAL statement_timeout = 0; SELECT pg_sleep(30)", PG_DOCS),
    ("alter-system", "ALTER SYSTEM SET statement_timeout = 0", PG_DOCS),
    ("alter-role-superuser", "ALTER ROLE plainsight_ro SUPERUSER", PG_DOCS),
    ("alter-database-set", "ALTER DATABASE shop SET default_transaction_read_only = off", PG_DOCS),
    ("create-role", "CREATE ROLE evil LOGIN SUPERUSER PASSWORD 'x'", PATT_PG),
    ("grant-all", "GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC", PG_DOCS),
    ("generate-series-count", "SELECT count(*) FROM generate_series(1, 10000000000)", PG_DOCS),
    ("generate-series-cross", "SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b", PG_DOCS),
    ("generate-series-order-random", "SELECT g FROM generate_series(1, 1000000000) g ORDER BY random() LIMIT 1", PG_DOCS),
    ("generate-series-string-agg", "SELECT length(string_agg(md5(g::text), '')) FROM generate_series(1, 100000000) g", PG_DOCS),
    ("generate-series-array-agg", "SELECT cardinality(array_agg(g)) FROM generate_series(1, 1000000000) g", PG_DOCS),
    ("generate-series-rows", "SELECT g, repeat('x', 10000) FROM generate_series(1, 100000000) g", PG_DOCS),
    ("repeat-gigabyte", "SELECT length(repeat('a', 1000000000))", PG_DOCS),
    ("repeat-nested", "SELECT length(repeat(repeat('a', 100000000), 10))", PG_DOCS),
    ("repeat-returned", "SELECT repeat('a', 500000000)", PG_DOCS),
    ("array-fill-huge", "SELECT cardinality(array_fill(1, ARRAY[200000000]))", PG_DOCS),
    ("lpad-huge", "SELECT length(lpad('x', 1000000000, 'y'))", PG_DOCS),
    ("regexp-replace-backtrack", "SELECT regexp_replace(repeat('a', 100000), '(a*)*b', 'x')", PG_DOCS),
    ("regexp-match-nested-quantifiers", "SELECT repeat('a', 50000) ~ '^(a|aa)+$' || 'b'", PG_DOCS),
    ("recursive-endless-pg", "WITH RECURSIVE r(x) AS (SELECT 1::bigint UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r", PG_DOCS),
    ("pg-terminate-backend", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()", PATT_PG),
    ("pg-cancel-backend", "SELECT pg_cancel_backend(pid) FROM pg_stat_activity", PATT_PG),
    ("pg-reload-conf", "SELECT pg_reload_conf()", PG_DOCS),
    ("pg-rotate-logfile", "SELECT pg_rotate_logfile()", PG_DOCS),
    ("pg-switch-wal", "SELECT pg_switch_wal()", PG_DOCS),
    ("pg-create-restore-point", "SELECT pg_create_restore_point('x')", PG_DOCS),
    ("pg-logical-emit-message", "SELECT pg_logical_emit_message(true, 'x', 'y')", PG_DOCS),
    ("pg-advisory-lock", "SELECT pg_advisory_lock(42)", PG_DOCS),
    ("pg-notify", "SELECT pg_notify('channel', 'payload')", PG_DOCS),
    ("nextval", "SELECT nextval('invoice_numbers')", PG_DOCS),
    ("setval", "SELECT setval('invoice_numbers', 1000)", PG_DOCS),
    ("txid-current", "SELECT txid_current()", PG_DOCS),
    ("do-block-delete", "DO $$ BEGIN DELETE FROM orders; END $$", PATT_PG),
    ("do-block-sleep", "DO $$ BEGIN PERFORM pg_sleep(30); END $$", PATT_PG),
    ("do-block-copy-program", f"DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {CANARY}/do-copy'''; END $$", HACKTRICKS_PG),
    ("create-function-plpgsql", "CREATE FUNCTION evil() RETURNS int AS $$ BEGIN DELETE FROM orders; RETURN 1; END $$ LANGUAGE plpgsql", HACKTRICKS_PG),
    ("create-function-c-system", "CREATE OR REPLACE FUNCTION system(cstring) RETURNS int AS '/lib/x86_64-linux-gnu/libc.so.6', 'system' LANGUAGE 'c' STRICT", HACKTRICKS_PG),
    ("call-procedure", "CALL evil()", PG_DOCS),
    ("prepare-execute", "PREPARE p AS DELETE FROM orders; EXECUTE p", PG_DOCS),
    ("commit-then-delete", "SELECT 1; COMMIT; DELETE FROM orders", PATT_PG),
    ("commit-set-read-write-delete", "COMMIT; SET default_transaction_read_only = off; DELETE FROM orders", PATT_PG),
    ("end-then-delete", "END; DELETE FROM orders", PATT_PG),
    ("abort-then-delete", "ABORT; BEGIN READ WRITE; DELETE FROM orders; COMMIT", PATT_PG),
    ("rollback-then-drop", "ROLLBACK; DROP TABLE orders", PATT_PG),
    ("commit-in-subquery-string", "SELECT 1 FROM orders WHERE status = ''; COMMIT; DELETE FROM orders; --'", PATT_PG),
    ("select-for-update", "SELECT * FROM orders FOR UPDATE", PG_DOCS),
    ("select-for-share-nowait", "SELECT * FROM orders FOR SHARE NOWAIT", PG_DOCS),
    ("lock-table", "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", PG_DOCS),
    ("vacuum-full", "VACUUM FULL orders", PG_DOCS),
    ("checkpoint", "CHECKPOINT", PG_DOCS),
    ("cluster", "CLUSTER orders USING orders_pkey", PG_DOCS),
    ("discard-all", "DISCARD ALL", PG_DOCS),
    ("listen", "LISTEN evil", PG_DOCS),
    ("create-temp-table-pg", "CREATE TEMPORARY TABLE t ON COMMIT DROP AS SELECT * FROM customers", PG_DOCS),
    ("select-into", "SELECT * INTO loot FROM customers", PG_DOCS),
    ("comment-ending", "SELECT count(*) FROM orders --", REDTEAM),
    ("comment-ending-text", "SELECT count(*) FROM orders -- the total", REDTEAM),
    ("semicolon-comment-ending", "SELECT count(*) FROM orders;--", REDTEAM),
    ("block-comment-ending", "SELECT count(*) FROM orders /* trailing", REDTEAM),
    ("pg-shadow", "SELECT usename, passwd FROM pg_shadow", PATT_PG),
    ("pg-authid", "SELECT rolname, rolpassword FROM pg_authid", PATT_PG),
    ("current-setting-data-dir", "SELECT current_setting('data_directory')", PATT_PG),
    ("inet-server-addr", "SELECT inet_server_addr(), inet_server_port()", PATT_PG),
    ("query-to-xml-delete", "SELECT query_to_xml('DELETE FROM orders RETURNING 1', true, true, '')", HACKTRICKS_PG),
    ("query-to-xml-copy", f"SELECT query_to_xml('COPY (SELECT 1) TO PROGRAM ''touch {CANARY}/xml-copy''', true, true, '')", HACKTRICKS_PG),
    ("cursor-to-xml", "SELECT cursor_to_xml('c', 1, true, true, '')", HACKTRICKS_PG),
    ("table-to-xml", "SELECT table_to_xml('customers', true, true, '')", HACKTRICKS_PG),
    ("database-to-xml", "SELECT database_to_xml(true, true, '')", HACKTRICKS_PG),
    ("xpath-query-to-xml", "SELECT xpath('/row/x', query_to_xml('SELECT pg_sleep(30)', true, true, ''))", HACKTRICKS_PG),
    ("merge-pg", "MERGE INTO regions r USING (VALUES (1)) s(id) ON r.region_id = s.id WHEN MATCHED THEN DELETE", PG_DOCS),
    ("truncate-cascade", "TRUNCATE customers CASCADE", PG_DOCS),
    ("refresh-matview", "REFRESH MATERIALIZED VIEW sales", PG_DOCS),
    ("security-definer-function", "SELECT * FROM pg_proc WHERE prosecdef", PATT_PG),
    ("string-agg-cross-pg", "SELECT length(string_agg(a.name || b.email, ',')) FROM customers a, customers b, order_items c", PG_DOCS),
    ("json-agg-cross-pg", "SELECT length(json_agg(a.*)::text) FROM order_items a, order_items b", PG_DOCS),
]
for slug, text, source in pg:
    sql("postgres", slug, text, source)

# ---------------------------------------------------------------------------------------------
# Python: pyjail and sandbox-escape shapes, time/memory/output bombs, query_sql abuse, exfiltration
# ---------------------------------------------------------------------------------------------
PY_CUSTOMERS = "query_sql('SELECT name, email FROM customers')"

imports = [
    ("import-os", "import os\nos.system('touch pwned-os.txt')"),
    ("import-os-alias", "import os as o\no.system('id')"),
    ("from-os-import", "from os import system\nsystem('id')"),
    ("from-os-import-star", "from os import *\nsystem('id')"),
    ("import-subprocess", "import subprocess\nsubprocess.run(['touch', 'pwned-sub.txt'])"),
    ("import-subprocess-popen", "import subprocess\nsubprocess.Popen('id', shell=True)"),
    ("import-socket", "import socket\ns = socket.create_connection(('127.0.0.1', 9))\ns.send(b'x')"),
    ("import-ctypes", "import ctypes\nctypes.CDLL('libc.so.6').system(b'id')"),
    ("import-sys-modules", "import sys\nsys.modules['os'].system('id')"),
    ("import-builtins", "import builtins\nbuiltins.open('pwned-builtins.txt', 'w').write('x')"),
    ("import-posix", "import posix\nposix.system('id')"),
    ("import-posixsubprocess", "import _posixsubprocess\n_posixsubprocess.fork_exec"),
    ("import-pty", "import pty\npty.spawn('/bin/sh')"),
    ("import-pickle", "import pickle\npickle.loads(b\"cos\\nsystem\\n(S'id'\\ntR.\")"),
    ("import-shutil", "import shutil\nshutil.copy('sample.sqlite', 'pwned-copy.sqlite')"),
    ("import-pathlib", "import pathlib\npathlib.Path('pwned-pathlib.txt').write_text('x')"),
    ("import-importlib", "import importlib\nimportlib.import_module('os').system('id')"),
    ("import-sqlite3", "import sqlite3\nsqlite3.connect('sample.sqlite').execute('DELETE FROM orders').connection.commit()"),
    ("import-urllib", "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9/')"),
    ("import-multiprocessing", "import multiprocessing\nmultiprocessing.Process(target=print).start()"),
    ("import-threading", "import threading\nthreading.Thread(target=lambda: None).start()"),
    ("import-signal", "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)"),
    ("import-resource", "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))"),
    ("import-gc", "import gc\ngc.get_objects()"),
    ("import-inspect", "import inspect\ninspect.currentframe().f_back"),
    ("import-code-interact", "import code\ncode.interact()"),
    ("dunder-import", "__import__('os').system('id')"),
    ("dunder-import-concat", "__import__('o' + 's').system('id')"),
    ("dunder-import-join", "__import__(''.join(['o', 's'])).system('id')"),
    ("dunder-import-chr", "__import__(chr(111) + chr(115)).system('id')"),
    ("dunder-import-reversed", "__import__('so'[::-1]).system('id')"),
    ("dunder-import-hex-escape", "__import__('\\x6f\\x73').system('id')"),
    ("dunder-import-bytes", "__import__(bytes([111, 115]).decode()).system('id')"),
    ("builtins-dict-import", "__builtins__['__import__']('os').system('id')"),
    ("builtins-attr-import", "__builtins__.__import__('os').system('id')"),
    ("getattr-builtins-import", "getattr(__builtins__, '__import__')('os').system('id')"),
    ("globals-builtins", "globals()['__builtins__'].__import__('os')"),
    ("eval-import", "eval(\"__import__('os').system('id')\")"),
    ("exec-import", "exec('import os; os.system(\"id\")')"),
    ("compile-exec", "exec(compile('import os', '<x>', 'exec'))"),
    ("nfkc-fullwidth-eval", "\uff45\uff56\uff41\uff4c(\"__import__('os').system('id')\")"),
    ("nfkc-fullwidth-import", "__\uff49\uff4d\uff50\uff4f\uff52\uff54__('os')"),
    ("open-write-relative", "open('pwned-open.txt', 'w').write('owned')"),
    ("open-write-canary", f"open('{CANARY}/py-open.txt', 'w').write('owned')"),
    ("open-read-passwd", "print(open('/etc/passwd').read())"),
    ("open-database-append", "open('sample.sqlite', 'ab').write(b'x')"),
    ("breakpoint", "breakpoint()"),
    ("help", "help()"),
    ("input", "input()"),
    ("exit", "exit(3)"),
    ("vars-locals-dir", "print(vars(), locals(), dir())"),
    ("loader-load-module", "__loader__.load_module('os')"),
    ("spec-loader", "__spec__.loader.load_module('os')"),
]
for slug, script in imports:
    py("import_escape", slug, script, PYJAIL if "nfkc" in slug or "dunder" in slug else HACKTRICKS_PY)

walks = [
    ("tuple-subclasses", "().__class__.__bases__[0].__subclasses__()"),
    ("str-mro-subclasses", "''.__class__.__mro__[1].__subclasses__()"),
    ("catch-warnings", "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings'][0]()._module.__builtins__['__import__']('os').system('id')"),
    ("wrap-close-globals", "[c for c in object.__subclasses__() if 'wrap_close' in c.__name__][0].__init__.__globals__['system']('id')"),
    ("object-subclasses", "object.__subclasses__()"),
    ("type-subclasses", "type.__subclasses__(object)"),
    ("lambda-globals", "(lambda: 0).__globals__"),
    ("function-globals-builtins", "def f():\n    pass\nf.__globals__['__builtins__']"),
    ("function-code", "def f():\n    pass\nf.__code__.co_consts"),
    ("function-closure", "def outer():\n    x = 1\n    def inner():\n        return x\n    return inner\nouter().__closure__[0].cell_contents"),
    ("generator-frame", "g = (x for x in [1])\ng.gi_frame.f_back.f_globals"),
    ("generator-frame-builtins", "g = (x for x in [1])\ng.gi_frame.f_builtins['__import__']('os')"),
    ("traceback-frame", "try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__.tb_frame.f_globals['__builtins__']"),
    ("print-self", "print.__self__.__import__('os')"),
    ("len-self", "len.__self__.open('pwned-len.txt', 'w')"),
    ("class-class", "[].__class__.__class__.__subclasses__([].__class__.__class__)"),
    ("init-globals", "class A:\n    pass\nA.__init__.__globals__"),
    ("help-call-globals", "help.__call__.__globals__['sys'].modules['os'].system('id')"),
    ("code-type-construct", "def f():\n    pass\ntype(f.__code__)(0, 0, 0, 0, 0, 0, b'', (), (), (), '', '', 0, b'')"),
    ("function-type-construct", "def f():\n    pass\ntype(f)(f.__code__, {'__builtins__': __builtins__})()"),
    ("coroutine-frame", "async def f():\n    pass\nc = f()\nc.cr_frame.f_globals"),
    ("sys-getframe", "import sys\nsys._getframe().f_back.f_globals"),
    ("dict-class-getitem", "{}.__class__.__getitem__"),
    ("base-exception-subclasses", "BaseException.__subclasses__()"),
    ("int-class-dict", "(1).__class__.__dict__"),
    ("query-sql-globals", "query_sql.__globals__"),
    ("query-sql-closure", "query_sql.__closure__"),
    ("query-sql-self", "query_sql.__self__"),
    ("query-sql-code", "query_sql.__code__"),
    ("query-sql-reassign", "query_sql = lambda q: q\nquery_sql('DELETE FROM orders')"),
]
for slug, script in walks:
    py("object_walk", slug, script, PATT_PY if "subclasses" in slug else PYJAIL)

for slug, script in [
    ("format-class-mro", "print('{0.__class__.__mro__[1].__subclasses__}'.format(()))"),
    ("format-globals", "def f():\n    pass\nprint('{0.__globals__}'.format(f))"),
    ("format-builtins-key", "def f():\n    pass\nprint('{0.__globals__[__builtins__]}'.format(f))"),
    ("fstring-import", "print(f\"{__import__('os').system('id')}\")"),
    ("percent-class", "print('%s' % ().__class__.__base__.__subclasses__())"),
    ("format-map", "print('{x.__class__.__init__}'.format_map({'x': 1}))"),
    ("format-kwargs", "print('{x.__class__}'.format(x=query_sql))"),
    ("fstring-nested", "print(f\"{f'{().__class__.__base__}'}\")"),
    ("format-width-bomb", "print('{:>1000000000}'.format(1))"),
    ("fstring-width-bomb", "print(f'{1:{10**9}}')"),
    ("percent-width-bomb", "print('%1000000000d' % 1)"),
]:
    py("format_string", slug, script, PATT_PY)

for slug, script in [
    ("decorator-exec-input", "@exec\n@input\nclass X:\n    pass"),
    ("decorator-import", "@__import__\ndef os():\n    pass"),
    ("decorator-eval-lambda", "@eval\n@lambda _: \"__import__('os').system('id')\"\nclass X:\n    pass"),
    ("lambda-chain", "(lambda f: f(f))(lambda f: f(f))"),
    ("walrus-import", "[x := __import__, x('os')]"),
    ("type-three-args", "X = type('X', (), {'__del__': lambda self: __import__('os').system('id')})\nX()"),
    ("metaclass", "class M(type):\n    def __new__(m, *a):\n        return __import__('os')\nclass X(metaclass=M):\n    pass"),
    ("init-subclass", "class A:\n    def __init_subclass__(cls):\n        open('pwned-sub.txt', 'w')\nclass B(A):\n    pass"),
    ("getattr-override", "class A:\n    def __getattr__(self, n):\n        return __import__(n)\nA().os"),
    ("setattr-builtins", "setattr(__builtins__, 'len', None)"),
    ("delattr-builtins", "delattr(__builtins__, 'print')"),
    ("generator-send", "def g():\n    x = yield\n    yield eval(x)\nit = g()\nnext(it)\nit.send(\"__import__('os')\")"),
    ("match-case-class", "match ().__class__:\n    case x:\n        x.__base__.__subclasses__()"),
]:
    py("decorator_lambda", slug, script, PYJAIL)

time_py = [
    ("while-true", "while True:\n    pass"),
    ("while-one-assign", "x = 0\nwhile 1:\n    x = x + 1"),
    ("huge-range-loop", "for i in range(10**12):\n    pass"),
    ("sum-huge-range", "sum(range(10**12))"),
    ("nested-loops", "n = 0\nfor i in range(100000):\n    for j in range(100000):\n        n += 1"),
    ("recursion-unbounded", "def f(n):\n    return f(n + 1)\nf(0)"),
    ("mutual-recursion", "def a(n):\n    return b(n + 1)\ndef b(n):\n    return a(n + 1)\na(0)"),
    ("recursion-catch-retry", "def f(n):\n    try:\n        return f(n + 1)\n    except RecursionError:\n        return f(n + 1)\nf(0)"),
    ("exponential-recursion", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nfib(60)"),
    ("catch-everything-loop", "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"),
    ("finally-loop", "try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass"),
    ("bare-except-continue", "while True:\n    try:\n        x = [0] * 10**6\n    except:\n        continue"),
    ("iter-int-sentinel", "list(iter(int, 1))"),
    ("any-iter-lambda", "any(x for x in iter(lambda: 0, 1))"),
    ("big-pow", "x = 2 ** (2 ** 30)"),
    ("pow-three-args-huge", "pow(3, 10**100000, 10**100000 + 7)"),
    ("big-int-str", "str(10 ** 1000000)"),
    ("int-from-long-str", "int('9' * 1000000)"),
    ("sorted-huge", "sorted(range(10**8), reverse=True)"),
    ("string-in-quadratic", "s = 'a' * 1000000\n(s + 'b') in (s * 2)"),
    ("string-find-worst", "h = 'a' * 2000000\nh.find('a' * 1000000 + 'b')"),
    ("string-replace-amplify", "len(('a' * 100000).replace('a', 'a' * 10000))"),
    ("string-count-loop", "s = 'ab' * 500000\nfor i in range(10**6):\n    s.count('ab')"),
    ("list-index-loop", "xs = list(range(100000))\nfor i in range(100000):\n    xs.index(99999)"),
    ("dict-hash-collisions", "d = {}\nfor i in range(10**7):\n    d[i * (2**61 - 1)] = i"),
    ("regex-nested-plus", "import re\nre.match('(a+)+$', 'a' * 40 + 'b')"),
    ("regex-alternation", "import re\nre.match('(a|aa)+$', 'a' * 60 + 'b')"),
    ("regex-x-plus-x-plus", "import re\nre.search('(x+x+)+y', 'x' * 50)"),
    ("regex-dot-star-repeat", "import re\nre.match('(.*a){25}', 'a' * 40)"),
    ("regex-email-evil", "import re\nre.match('^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$', 'a' * 50 + '!')"),
    ("regex-compile-huge", "import re\nre.compile('(' * 10000 + 'a' + ')' * 10000)"),
    ("time-sleep", "import time\ntime.sleep(3600)"),
    ("generator-endless", "def g():\n    while True:\n        yield 1\nsum(g())"),
    ("while-query-sql", "while query_sql('SELECT 1'):\n    pass"),
]
for slug, script in time_py:
    py("time_bomb", slug, script, ReDoS if slug.startswith("regex") else PYJAIL)

memory_py = [
    ("str-mul-10g", "s = 'a' * 10**10"),
    ("str-mul-1g", "s = 'a' * 10**9"),
    ("list-mul-10g", "x = [0] * 10**10"),
    ("list-of-lists", "x = [[0] * 10**4 for _ in range(10**5)]"),
    ("dict-comprehension", "d = {i: i for i in range(10**9)}"),
    ("doubling-string", "s = 'a'\nwhile True:\n    s += s"),
    ("doubling-list", "x = [0]\nwhile True:\n    x = x + x"),
    ("bytes-mul", "b = b'x' * 10**10"),
    ("big-int-power-tower", "x = 10 ** 10 ** 8"),
    ("list-range", "x = list(range(10**10))"),
    ("bytearray-huge", "b = bytearray(10**10)"),
    ("join-huge", "s = ' '.join(['a'] * 10**9)"),
    ("append-megabytes", "x = []\nwhile True:\n    x.append('a' * 10**6)"),
    ("ljust-huge", "s = 'a'.ljust(10**10)"),
    ("center-huge", "s = 'a'.center(10**9)"),
    ("zfill-huge", "s = '1'.zfill(10**9)"),
    ("expandtabs-huge", "s = '\\t'.expandtabs(10**9)"),
    ("to-bytes-huge", "b = (1).to_bytes(10**9, 'big')"),
    ("dict-fromkeys", "d = dict.fromkeys(range(10**9))"),
    ("set-comprehension", "s = {i for i in range(10**9)}"),
    ("tuple-mul", "t = (1,) * 10**10"),
    ("nested-list-depth", "x = []\nfor i in range(10**7):\n    x = [x]"),
    ("str-repeat-overflow", "s = 'ab' * (2**62)"),
    ("list-sort-copy", "x = sorted([str(i) * 100 for i in range(10**7)])"),
    ("fstring-repeat", "s = f\"{'x' * 10**9}\""),
    ("query-sql-accumulate", "result = []\nfor i in range(1000):\n    result.extend(query_sql('SELECT * FROM order_items'))"),
]
for slug, script in memory_py:
    py("memory_bomb", slug, script, PYJAIL)

output_py = [
    ("print-loop", "while True:\n    print('x' * 1000)"),
    ("print-range", "for i in range(10**7):\n    print(i)"),
    ("print-huge-string", "print('a' * 10**8)"),
    ("print-star-range", "print(*range(10**8))"),
    ("print-end-bomb", "print('x', end='y' * 10**8)"),
    ("huge-result-table", "result = [{'a': 'x' * 10**6} for _ in range(10**4)]"),
    ("result-many-rows", "result = [{'i': i} for i in range(10**7)]"),
    ("print-query-rows-loop", "for i in range(10**6):\n    print(query_sql('SELECT name FROM regions'))"),
    ("sys-stdout-write", "import sys\nsys.stdout.write('x' * 10**8)"),
    ("print-sep-bomb", "print(1, 2, sep='-' * 10**8)"),
]
for slug, script in output_py:
    py("output_bomb", slug, script, PYJAIL)

INSTR_BOMB = f"SELECT instr({big(N4M)}, {needle(N4M // 2)})"
qs = [
    ("delete", "query_sql('DELETE FROM orders')"),
    ("drop", "query_sql('DROP TABLE customers')"),
    ("stacked", "query_sql('SELECT 1; DELETE FROM orders')"),
    ("pragma-writable-schema", "query_sql('PRAGMA writable_schema = 1')"),
    ("attach", "query_sql(\"ATTACH 'pwned-py-attach.db' AS p\")"),
    ("vacuum-into", "query_sql(\"VACUUM INTO 'pwned-py-vacuum.db'\")"),
    ("load-extension", "query_sql(\"SELECT load_extension('./evil')\")"),
    ("writefile", "query_sql(\"SELECT writefile('pwned-py.txt', 'x')\")"),
    ("with-delete", "query_sql('WITH x AS (SELECT 1) DELETE FROM orders')"),
    ("instr-bomb", f"query_sql(\"{INSTR_BOMB}\")"),
    ("like-bomb", f"query_sql(\"SELECT {big(N4M)} LIKE '%a%a%a%a%a%a%a%a%a%a%b'\")"),
    ("recursive-endless", "query_sql('WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r')"),
    ("cross-join", "query_sql('SELECT count(*) FROM order_items a, order_items b, order_items c')"),
    ("json-group-array-bomb", f"query_sql(\"SELECT json_group_array({big(N1M)}) FROM order_items\")"),
    ("rows-of-1mb", f"result = query_sql(\"SELECT {big(N1M)} AS a FROM order_items\")"),
    ("left-deep-140k", "query_sql('SELECT 1' + '+1' * 140000)"),
    ("left-deep-200k-or", "query_sql('SELECT 1' + ' OR 1' * 200000)"),
    ("parentheses-200k", "query_sql('SELECT ' + '(' * 200000 + '1' + ')' * 200000)"),
    ("nested-subquery-50k", "query_sql('SELECT ' + '(SELECT ' * 50000 + '1' + ')' * 50000)"),
    ("ten-megabyte-sql", "query_sql('SELECT 1 -- ' + 'x' * 10**7)"),
    ("many-calls", "for i in range(10**6):\n    query_sql('SELECT 1')"),
    ("bomb-in-loop", f"for i in range(100):\n    query_sql(\"{INSTR_BOMB}\")"),
    ("recursive-bomb-in-loop", "for i in range(100):\n    query_sql('WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r')"),
    ("catch-timeout-retry", f"n = 0\nwhile n < 100:\n    try:\n        query_sql(\"{INSTR_BOMB}\")\n    except Exception:\n        n += 1"),
    ("none-argument", "query_sql(None)"),
    ("int-argument", "query_sql(123)"),
    ("kwargs", "query_sql(sql='SELECT 1', timeout=10**9)"),
    ("extra-args", "query_sql('SELECT 1', 'DELETE FROM orders')"),
    ("bytes-argument", "query_sql(b'SELECT 1')"),
    ("recursive-lambda", "f = lambda n: query_sql('SELECT 1') and f(n + 1)\nf(0)"),
    ("pg-sleep", "query_sql('SELECT pg_sleep(60)')"),
    ("pg-copy-program", f"query_sql(\"COPY (SELECT '') TO PROGRAM 'touch {CANARY}/py-copy'\")"),
]
for slug, script in qs:
    py("query_sql_abuse", slug, script, REDTEAM if "bomb" in slug or "left-deep" in slug else PYJAIL)

exfil_py = [
    ("raise-valueerror-rows", f"raise ValueError({PY_CUSTOMERS})"),
    ("raise-exception-str", f"rows = {PY_CUSTOMERS}\nraise Exception(str(rows))"),
    ("assert-message", f"rows = {PY_CUSTOMERS}\nassert False, rows"),
    ("int-of-email", f"rows = {PY_CUSTOMERS}\nint(rows[0]['email'])"),
    ("float-of-names", f"rows = {PY_CUSTOMERS}\nfloat(','.join(r['name'] for r in rows))"),
    ("keyerror-email", f"rows = {PY_CUSTOMERS}\n{{}}[rows[0]['email']]"),
    ("keyerror-all", f"rows = {PY_CUSTOMERS}\n{{}}[str(rows)]"),
    ("attributeerror-name", f"rows = {PY_CUSTOMERS}\ngetattr(1, rows[0]['name'])"),
    ("nameerror-exec", f"rows = {PY_CUSTOMERS}\nexec(rows[0]['name'].replace(' ', '_'))"),
    ("syntaxerror-eval", f"rows = {PY_CUSTOMERS}\neval(rows[0]['email'])"),
    ("json-loads-error", f"import json\nrows = {PY_CUSTOMERS}\njson.loads(rows[0]['email'])"),
    ("strptime-error", f"from datetime import datetime\nrows = {PY_CUSTOMERS}\ndatetime.strptime(rows[0]['email'], '%Y')"),
    ("raise-systemexit", f"raise SystemExit({PY_CUSTOMERS})"),
    ("raise-keyboardinterrupt", f"raise KeyboardInterrupt(str({PY_CUSTOMERS}))"),
    ("raise-custom-class", f"class Leak(Exception):\n    pass\nraise Leak({PY_CUSTOMERS})"),
    ("raise-from-chain", f"try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    raise RuntimeError(str({PY_CUSTOMERS})) from e"),
    ("index-error-message", f"rows = {PY_CUSTOMERS}\n[][len(rows)]\nraise IndexError(rows[1]['email'])"),
    ("typeerror-add", f"rows = {PY_CUSTOMERS}\nrows[0]['email'] + 1"),
    ("hex-encoded-raise", f"rows = {PY_CUSTOMERS}\nraise ValueError(''.join(r['email'] for r in rows).encode().hex())"),
    ("query-sql-error-path", "query_sql(\"SELECT json_extract('{}', 'x' || (SELECT hex(group_concat(name || email)) FROM customers))\")"),
    ("unicode-error", f"rows = {PY_CUSTOMERS}\nrows[0]['name'].encode('ascii', 'strict').decode('utf-32')"),
    ("warnings-warn", f"import warnings\nwarnings.warn(str({PY_CUSTOMERS}))"),
]
for slug, script in exfil_py:
    py("exfiltration", slug, script, REDTEAM if slug.startswith("raise") else PATT_PY)

# Parse bombs in the script itself (large, so only a few).
for slug, script in [
    ("python-left-deep-60k", "result = 1" + "+1" * 60000),
    ("python-parentheses-50k", "result = " + "(" * 50000 + "1" + ")" * 50000),
    ("python-nested-lists-50k", "result = " + "[" * 50000 + "]" * 50000),
    ("python-deep-indentation-300", "".join(" " * i + "if True:\n" for i in range(300)) + " " * 300 + "result = 1\n"),
    ("python-nested-lambdas", "f = " + "lambda: " * 20000 + "1"),
    ("python-many-statements-20k", "result = 0\n" + "result += 1\n" * 20000),
    ("python-unterminated-string", "s = '" + "a" * 50000),
    ("python-null-and-controls", "print('a\\x00b')\n\x0c\nx = 1\x1b"),
]:
    py("parse_bomb", slug, script, PYJAIL)


def write(name, cases, key):
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    bodies = [c[key] for c in cases]
    assert len(bodies) == len(set(bodies)), [b[:80] for b in bodies if bodies.count(b) > 1]
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=True) + "\n")
    counts = {}
    for c in cases:
        counts[c["class"]] = counts.get(c["class"], 0) + 1
    print(f"{name}: {len(cases)} cases; " + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)


for c in sql_cases:
    assert fits(c["sql"]), (c["id"], len(c["sql"].encode()))
write("sql.jsonl", sql_cases, "sql")
write("python.jsonl", py_cases, "script")
