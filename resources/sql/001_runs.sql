-- SPDX-License-Identifier: GPL-3.0-or-later
-- Schema 1: models and runs with their metrics.
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    architecture TEXT NOT NULL,
    parameters INTEGER NOT NULL,
    config_json TEXT NOT NULL,
    UNIQUE (sha256, path)
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'cancelled', 'interrupted')),
    model_id INTEGER REFERENCES models (id),
    name TEXT NOT NULL DEFAULT '',
    plan_json TEXT,
    eval_text_path TEXT,
    eval_text_sha256 TEXT,
    eval_tokens INTEGER,
    calib_text_path TEXT,
    calib_text_sha256 TEXT,
    calib_tokens INTEGER,
    settings_json TEXT NOT NULL DEFAULT '{}',
    threads INTEGER,
    cpu TEXT,
    tool_version TEXT NOT NULL,
    tool_commit TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    pid INTEGER,
    process_start INTEGER,
    host TEXT,
    error TEXT
);
CREATE INDEX runs_by_model ON runs (model_id);

CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    uncertainty REAL,
    PRIMARY KEY (run_id, name)
);
