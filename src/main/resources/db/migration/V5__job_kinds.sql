-- Per-kind state shared by every gather on this database (issue 17, items 4 and 5).
--
-- Pause: a kind whose row says paused is claimed by no process (claim.sql and claim_limited.sql read this table
-- once per claim). A kind without a row is not paused, so plain installs never write here.
CREATE TABLE job_kinds (
  kind       text        PRIMARY KEY,
  paused     boolean     NOT NULL DEFAULT false,
  paused_at  timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Rate limits ("rate": {"limit": N, "periodMs": P, "by": ...}): one row per start of a rate-limited kind, so a claim
-- counts the starts of the last P ms of a partition exactly (a sliding window: no window of P ms ever holds more
-- than N starts, where fixed windows allow 2N across a boundary). Rows older than the period are deleted by the
-- claims themselves, so the table holds about one period's starts. Plain kinds never write here.
-- part is the partition's value as jsonb (input -> field), 'null' when the kind is not partitioned or the input
-- lacks the field.
CREATE TABLE job_kind_starts (
  kind       text        NOT NULL,
  part       jsonb       NOT NULL,
  started_at timestamptz NOT NULL
);
-- Counting a partition's starts inside the window.
CREATE INDEX job_kind_starts_window ON job_kind_starts (kind, part, started_at);
-- Deleting what left the window, whatever the partition.
CREATE INDEX job_kind_starts_expiry ON job_kind_starts (kind, started_at);
