-- Tariff editing by the Segreteria and debt annulment (issue 4). Same text on both backends.

-- At most one open version (valid_to NULL) per tariff case: a new version closes the previous
-- one in the same transaction, so two concurrent edits cannot both leave a version open.
CREATE UNIQUE INDEX tariffs_open_version ON tariffs (fee_kind, provider_class, case_key) WHERE valid_to IS NULL;

-- A debt annulled by the Segreteria keeps who, when and why (shown to the provider too).
-- NULL for debts annulled automatically (a draft whose provider class no longer owes the fee).
ALTER TABLE debts ADD COLUMN annulled_at TEXT;
ALTER TABLE debts ADD COLUMN annulled_by TEXT REFERENCES users (id);
ALTER TABLE debts ADD COLUMN annulled_reason TEXT;
