use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentType {
    pub code: String,
    pub label: String,
    pub required: bool,
}

/// One uploaded version of a document (the bytes stay on the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentVersion {
    pub id: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSlot {
    pub doc_type: DocumentType,
    pub current: Option<DocumentVersion>,
    /// Earlier versions, newest first.
    pub history: Vec<DocumentVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentsView {
    pub request_id: String,
    pub editable: bool,
    pub max_bytes: i64,
    pub slots: Vec<DocumentSlot>,
}

impl DocumentsView {
    /// Labels of the required types that have no document yet.
    pub fn missing_required(&self) -> Vec<String> {
        self.slots
            .iter()
            .filter(|slot| slot.doc_type.required && slot.current.is_none())
            .map(|slot| slot.doc_type.label.clone())
            .collect()
    }
}

/// Why an upload was refused. Nothing is stored in any of these cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadProblem {
    /// No file was chosen, or it is empty.
    Empty,
    /// The content is not a PDF (whatever its name says).
    NotPdf,
    /// Larger than the configured limit.
    TooLarge,
    /// The document type does not exist or is not active.
    UnknownType,
    /// The request is not in a state where the provider may change documents.
    Locked,
    /// The upload could not be read (interrupted, malformed).
    Unreadable,
    /// The slot already holds the most versions a slot may keep (`UploadLimits::max_versions`).
    TooManyVersions,
    /// The request's documents together already reach `UploadLimits::max_request_bytes`.
    RequestFull,
    /// Too many uploads by this account in the last hour (`UploadLimits::per_hour`).
    TooFrequent,
}

/// What a provider may store: the size of one file, the versions one slot keeps, the bytes one
/// request holds, and how many uploads one account makes per hour (`ECM_DOCUMENT_*`,
/// `ECM_UPLOADS_PER_HOUR`). Nothing is ever dropped to make room: above a limit the upload is
/// refused, with its reason, and what was stored stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub max_bytes: i64,
    pub max_versions: i64,
    pub max_request_bytes: i64,
    pub per_hour: i64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits { max_bytes: 2 * 1024 * 1024, max_versions: 10, max_request_bytes: 40 * 1024 * 1024, per_hour: 60 }
    }
}

impl UploadProblem {
    pub fn code(self) -> &'static str {
        match self {
            UploadProblem::Empty => "empty",
            UploadProblem::NotPdf => "not_pdf",
            UploadProblem::TooLarge => "too_large",
            UploadProblem::UnknownType => "unknown_type",
            UploadProblem::Locked => "locked",
            UploadProblem::Unreadable => "unreadable",
            UploadProblem::TooManyVersions => "too_many_versions",
            UploadProblem::RequestFull => "request_full",
            UploadProblem::TooFrequent => "too_frequent",
        }
    }

    pub fn from_code(code: &str) -> Option<UploadProblem> {
        [
            UploadProblem::Empty,
            UploadProblem::NotPdf,
            UploadProblem::TooLarge,
            UploadProblem::UnknownType,
            UploadProblem::Locked,
            UploadProblem::Unreadable,
            UploadProblem::TooManyVersions,
            UploadProblem::RequestFull,
            UploadProblem::TooFrequent,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }

    pub fn message_it(self, max_bytes: i64) -> String {
        match self {
            UploadProblem::Empty => "Scegli un file PDF da caricare: il file selezionato è vuoto o mancante.".into(),
            UploadProblem::NotPdf => {
                "Il file non è un PDF: il portale accetta solo documenti in formato PDF. Nessun file è stato salvato.".into()
            }
            UploadProblem::TooLarge => format!(
                "Il file supera la dimensione massima di {}. Nessun file è stato salvato: riduci il PDF e riprova.",
                format_size(max_bytes)
            ),
            UploadProblem::UnknownType => "Tipo di documento non previsto.".into(),
            UploadProblem::Locked => "La domanda è stata inviata: i documenti non sono più modificabili.".into(),
            UploadProblem::Unreadable => "Il caricamento si è interrotto. Riprova.".into(),
            UploadProblem::TooManyVersions => {
                "Questo documento è già stato sostituito il numero massimo di volte: il file non è stato salvato e le versioni caricate restano. Se devi sostituirlo ancora, contatta la Segreteria ECM."
                    .into()
            }
            UploadProblem::RequestFull => {
                "I documenti di questa domanda hanno raggiunto lo spazio massimo: il file non è stato salvato e i documenti caricati restano. Contatta la Segreteria ECM."
                    .into()
            }
            UploadProblem::TooFrequent => {
                "Hai caricato molti file nell'ultima ora: il file non è stato salvato. Riprova più tardi.".into()
            }
        }
    }
}

/// A PDF starts with `%PDF-` within its first 1024 bytes (ISO 32000 readers tolerate some
/// leading bytes). The name and the declared content type are not trusted.
pub fn check_pdf(bytes: &[u8], max_bytes: i64) -> Result<(), UploadProblem> {
    if bytes.is_empty() {
        return Err(UploadProblem::Empty);
    }
    if bytes.len() as i64 > max_bytes {
        return Err(UploadProblem::TooLarge);
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(UploadProblem::NotPdf);
    }
    Ok(())
}

/// A file name safe to store and to send back in `Content-Disposition`: no path, no control
/// or quoting characters, at most 120 characters, ending in `.pdf`.
pub fn sanitize_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') { c } else { '_' })
        .collect();
    let cleaned = cleaned.trim();
    let stem = if cleaned.to_ascii_lowercase().ends_with(".pdf") { &cleaned[..cleaned.len() - 4] } else { cleaned };
    let mut stem = stem.trim().trim_start_matches('.').to_string();
    if stem.is_empty() {
        stem = "documento".into();
    }
    let stem: String = stem.chars().take(116).collect();
    format!("{stem}.pdf")
}

/// `1,5 MB`, `820 KB`: sizes for people, Italian decimal comma.
pub fn format_size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        if tenths % 10 == 0 {
            format!("{} MB", tenths / 10)
        } else {
            format!("{},{} MB", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_recognised_by_its_content_not_its_name() {
        assert_eq!(check_pdf(b"%PDF-1.7\n...", 100), Ok(()));
        assert_eq!(check_pdf(b"\xef\xbb\xbf%PDF-1.4", 100), Ok(()), "a few leading bytes are tolerated");
        assert_eq!(check_pdf(b"PK\x03\x04 not a pdf", 100), Err(UploadProblem::NotPdf));
        assert_eq!(check_pdf(b"", 100), Err(UploadProblem::Empty));
        let mut late = vec![b' '; 2000];
        late.extend_from_slice(b"%PDF-1.4");
        assert_eq!(check_pdf(&late, 10_000), Err(UploadProblem::NotPdf));
    }

    #[test]
    fn the_size_limit_is_inclusive() {
        let mut pdf = b"%PDF-1.4".to_vec();
        pdf.resize(50, b' ');
        assert_eq!(check_pdf(&pdf, 50), Ok(()));
        assert_eq!(check_pdf(&pdf, 49), Err(UploadProblem::TooLarge));
    }

    #[test]
    fn file_names_lose_paths_and_dangerous_characters() {
        assert_eq!(sanitize_file_name("C:\\Users\\x\\Statuto 2026.pdf"), "Statuto 2026.pdf");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd.pdf");
        assert_eq!(sanitize_file_name("a\"b;c\r\n.pdf"), "a_b_c__.pdf");
        assert_eq!(sanitize_file_name(".pdf"), "documento.pdf");
        assert_eq!(sanitize_file_name(&"x".repeat(300)).len(), 120);
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(format_size(2 * 1024 * 1024), "2 MB");
        assert_eq!(format_size(1536 * 1024), "1,5 MB");
        assert_eq!(format_size(820 * 1024), "820 KB");
    }

    #[test]
    fn missing_required_lists_only_empty_required_slots() {
        let slot = |code: &str, required, current: bool| DocumentSlot {
            doc_type: DocumentType { code: code.into(), label: code.into(), required },
            current: current.then(|| DocumentVersion {
                id: "d".into(),
                file_name: "a.pdf".into(),
                size_bytes: 1,
                sha256: "00".into(),
                uploaded_at: "t".into(),
            }),
            history: vec![],
        };
        let view = DocumentsView {
            request_id: "r".into(),
            editable: true,
            max_bytes: 10,
            slots: vec![slot("A", true, true), slot("B", true, false), slot("C", false, false)],
        };
        assert_eq!(view.missing_required(), vec!["B".to_string()]);
    }
}
