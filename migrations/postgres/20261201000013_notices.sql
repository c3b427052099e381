-- pagoPA notices (avvisi di pagamento, issue "Every provider can pay"): a notice is a payment
-- attempt of kind 'AVVISO' with one line, imported into MyPay with paaSILImportaDovuto and paid
-- later at any pagoPA channel. It holds its debt (IN_CORSO) exactly like a cart, through the
-- same attempt machine and the same writer (app/src/store/attempts.rs). Same version number and
-- meaning on both backends (docs/channels.md).
ALTER TABLE payment_attempts ADD COLUMN kind TEXT NOT NULL DEFAULT 'CARRELLO' CHECK (kind IN ('CARRELLO', 'AVVISO'));
-- '3' + IUV, printed on the notice (the IUV itself is in payment_attempts.iuv).
ALTER TABLE payment_attempts ADD COLUMN notice_number TEXT;
-- MyPay's urlFileAvviso: its token is a bearer credential to the payer's data, never shown.
ALTER TABLE payment_attempts ADD COLUMN notice_url TEXT;
-- The notice PDF, downloaded when the notice is issued (the URL dies on payment or change).
ALTER TABLE payment_attempts ADD COLUMN notice_pdf BYTEA;
-- Intent before effect for a cancellation too: set before MyPay is asked to cancel (action A),
-- so that a cancellation interrupted by a crash or a lost answer is finished by the reconciler.
ALTER TABLE payment_attempts ADD COLUMN cancel_requested_at TEXT;
ALTER TABLE payment_attempts ADD COLUMN cancel_reason TEXT;
