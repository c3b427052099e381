use serde::{Deserialize, Serialize};

use crate::domain::{required_text, CodiceFiscale, Email, FieldError, FieldRule, PartitaIva};

/// Gruppo A (IRCCS, aziende sanitarie ULSS/AO, ospedali classificati) or Gruppo B
/// (everyone else). It decides the fees (docs/domain.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderClass {
    A,
    B,
}

impl ProviderClass {
    pub fn as_db(self) -> &'static str {
        match self {
            ProviderClass::A => "A",
            ProviderClass::B => "B",
        }
    }
    pub fn from_db(value: &str) -> Option<ProviderClass> {
        match value {
            "A" => Some(ProviderClass::A),
            "B" => Some(ProviderClass::B),
            _ => None,
        }
    }
    pub fn label_it(self) -> &'static str {
        match self {
            ProviderClass::A => "Gruppo A",
            ProviderClass::B => "Gruppo B",
        }
    }
}

/// The legal forms offered in the form, with the provider class each implies.
pub const FORME_GIURIDICHE: &[(&str, &str, ProviderClass)] = &[
    ("AZIENDA_SANITARIA", "Azienda sanitaria (ULSS, azienda ospedaliera)", ProviderClass::A),
    ("IRCCS", "IRCCS (istituto di ricovero e cura a carattere scientifico)", ProviderClass::A),
    ("OSPEDALE_CLASSIFICATO", "Ospedale classificato", ProviderClass::A),
    ("UNIVERSITA", "Università", ProviderClass::B),
    ("SOCIETA_SCIENTIFICA", "Società scientifica o associazione professionale", ProviderClass::B),
    ("ORDINE_COLLEGIO", "Ordine o collegio professionale", ProviderClass::B),
    ("IMPRESA", "Società o impresa", ProviderClass::B),
    ("FONDAZIONE", "Fondazione", ProviderClass::B),
    ("ALTRO", "Altro ente pubblico o privato", ProviderClass::B),
];

pub fn forma_giuridica(code: &str) -> Option<(&'static str, &'static str, ProviderClass)> {
    FORME_GIURIDICHE.iter().copied().find(|(c, _, _)| *c == code)
}

/// The censimento form as typed (all text). Also what the server sends back for editing.
/// A field left out (a disabled fieldset of a section the Segreteria did not reopen) is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderForm {
    pub denominazione: String,
    pub codice_fiscale: String,
    pub partita_iva: String,
    pub forma_giuridica: String,
    pub legale_nome: String,
    pub legale_cognome: String,
    pub legale_codice_fiscale: String,
    pub via: String,
    pub civico: String,
    pub cap: String,
    pub comune: String,
    pub provincia: String,
    pub pec: String,
    pub email: String,
    pub telefono: String,
}

/// A validated provider record (the parse result of a [`ProviderForm`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProvider {
    pub denominazione: String,
    pub codice_fiscale: CodiceFiscale,
    pub partita_iva: Option<PartitaIva>,
    pub forma_giuridica: String,
    pub provider_class: ProviderClass,
    pub legale_nome: String,
    pub legale_cognome: String,
    pub legale_codice_fiscale: CodiceFiscale,
    pub via: String,
    pub civico: String,
    pub cap: String,
    pub comune: String,
    pub provincia: String,
    pub pec: Email,
    pub email: Email,
    pub telefono: String,
}

impl ValidProvider {
    /// The validated record as the texts stored and shown (codes upper-cased, spaces folded).
    pub fn normalized_form(&self) -> ProviderForm {
        ProviderForm {
            denominazione: self.denominazione.clone(),
            codice_fiscale: self.codice_fiscale.as_str().to_string(),
            partita_iva: self.partita_iva.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
            forma_giuridica: self.forma_giuridica.clone(),
            legale_nome: self.legale_nome.clone(),
            legale_cognome: self.legale_cognome.clone(),
            legale_codice_fiscale: self.legale_codice_fiscale.as_str().to_string(),
            via: self.via.clone(),
            civico: self.civico.clone(),
            cap: self.cap.clone(),
            comune: self.comune.clone(),
            provincia: self.provincia.clone(),
            pec: self.pec.as_str().to_string(),
            email: self.email.as_str().to_string(),
            telefono: self.telefono.clone(),
        }
    }
}

/// Field limits follow what pagoPA/MyPay accept for the payer (docs/mypay.md §4.2):
/// name 70, address 70, house number 16, city 35, province exactly 2.
impl ProviderForm {
    /// Checks one field; used as the user types and, for all fields, on the server.
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        let f = self;
        match field {
            "denominazione" => required_text(field, &f.denominazione, 70).map(drop),
            "codice_fiscale" => CodiceFiscale::parse(field, &f.codice_fiscale).map(drop),
            "partita_iva" if f.partita_iva.trim().is_empty() => Ok(()),
            "partita_iva" => PartitaIva::parse(field, &f.partita_iva).map(drop),
            "forma_giuridica" => forma_giuridica(f.forma_giuridica.trim())
                .map(drop)
                .ok_or_else(|| FieldError::new(field, FieldRule::Choice)),
            "legale_nome" => required_text(field, &f.legale_nome, 60).map(drop),
            "legale_cognome" => required_text(field, &f.legale_cognome, 60).map(drop),
            "legale_codice_fiscale" => CodiceFiscale::parse_personal(field, &f.legale_codice_fiscale).map(drop),
            "via" => required_text(field, &f.via, 70).map(drop),
            "civico" => required_text(field, &f.civico, 16).map(drop),
            "cap" => {
                let cap = f.cap.trim();
                if cap.is_empty() {
                    Err(FieldError::new(field, FieldRule::Required))
                } else if cap.len() == 5 && cap.chars().all(|c| c.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err(FieldError::new(field, FieldRule::Cap))
                }
            }
            "comune" => required_text(field, &f.comune, 35).map(drop),
            "provincia" => {
                let p = f.provincia.trim();
                if p.is_empty() {
                    Err(FieldError::new(field, FieldRule::Required))
                } else if p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()) {
                    Ok(())
                } else {
                    Err(FieldError::new(field, FieldRule::Provincia))
                }
            }
            "pec" => Email::parse(&f.pec).map(drop).map_err(|e| FieldError::new(field, e.rule)),
            "email" => Email::parse(&f.email).map(drop),
            "telefono" => {
                let t = f.telefono.trim();
                let digits = t.chars().filter(char::is_ascii_digit).count();
                if t.is_empty() {
                    Err(FieldError::new(field, FieldRule::Required))
                } else if (6..=20).contains(&t.chars().count())
                    && digits >= 6
                    && t.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || c == ' ' || (c == '+' && i == 0))
                {
                    Ok(())
                } else {
                    Err(FieldError::new(field, FieldRule::Telefono))
                }
            }
            _ => Ok(()),
        }
    }

    pub const FIELDS: &'static [&'static str] = &[
        "denominazione",
        "codice_fiscale",
        "partita_iva",
        "forma_giuridica",
        "legale_nome",
        "legale_cognome",
        "legale_codice_fiscale",
        "via",
        "civico",
        "cap",
        "comune",
        "provincia",
        "pec",
        "email",
        "telefono",
    ];

    /// The value of a field by name (see [`ProviderForm::FIELDS`]).
    pub fn get(&self, field: &str) -> &str {
        match field {
            "denominazione" => &self.denominazione,
            "codice_fiscale" => &self.codice_fiscale,
            "partita_iva" => &self.partita_iva,
            "forma_giuridica" => &self.forma_giuridica,
            "legale_nome" => &self.legale_nome,
            "legale_cognome" => &self.legale_cognome,
            "legale_codice_fiscale" => &self.legale_codice_fiscale,
            "via" => &self.via,
            "civico" => &self.civico,
            "cap" => &self.cap,
            "comune" => &self.comune,
            "provincia" => &self.provincia,
            "pec" => &self.pec,
            "email" => &self.email,
            "telefono" => &self.telefono,
            _ => "",
        }
    }

    /// Sets a field by name; unknown names are ignored.
    pub fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "denominazione" => &mut self.denominazione,
            "codice_fiscale" => &mut self.codice_fiscale,
            "partita_iva" => &mut self.partita_iva,
            "forma_giuridica" => &mut self.forma_giuridica,
            "legale_nome" => &mut self.legale_nome,
            "legale_cognome" => &mut self.legale_cognome,
            "legale_codice_fiscale" => &mut self.legale_codice_fiscale,
            "via" => &mut self.via,
            "civico" => &mut self.civico,
            "cap" => &mut self.cap,
            "comune" => &mut self.comune,
            "provincia" => &mut self.provincia,
            "pec" => &mut self.pec,
            "email" => &mut self.email,
            "telefono" => &mut self.telefono,
            _ => return,
        };
        *slot = value;
    }

    /// Validates every field and reports every failure at once.
    pub fn validate(&self) -> Result<ValidProvider, Vec<FieldError>> {
        let errors: Vec<FieldError> = Self::FIELDS.iter().filter_map(|field| self.check(field).err()).collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let text = |value: &str| value.split_whitespace().collect::<Vec<_>>().join(" ");
        let (code, _, class) = forma_giuridica(self.forma_giuridica.trim()).expect("checked above");
        Ok(ValidProvider {
            denominazione: text(&self.denominazione),
            codice_fiscale: CodiceFiscale::parse("codice_fiscale", &self.codice_fiscale).expect("checked"),
            partita_iva: (!self.partita_iva.trim().is_empty())
                .then(|| PartitaIva::parse("partita_iva", &self.partita_iva).expect("checked")),
            forma_giuridica: code.to_string(),
            provider_class: class,
            legale_nome: text(&self.legale_nome),
            legale_cognome: text(&self.legale_cognome),
            legale_codice_fiscale: CodiceFiscale::parse_personal("legale_codice_fiscale", &self.legale_codice_fiscale)
                .expect("checked"),
            via: text(&self.via),
            civico: text(&self.civico),
            cap: self.cap.trim().to_string(),
            comune: text(&self.comune),
            provincia: self.provincia.trim().to_ascii_uppercase(),
            pec: Email::parse(&self.pec).expect("checked"),
            email: Email::parse(&self.email).expect("checked"),
            telefono: text(&self.telefono),
        })
    }
}

crate::domain::coded_enum! {
    /// The sections of the censimento (and the documents). While the request is a draft the
    /// provider may change everything; once it is sent, nothing, until the Segreteria asks for an
    /// integration and reopens the sections it chooses.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Section {
        /// Denominazione, codice fiscale, partita IVA and legal form (hence the Gruppo).
        Identita = ("IDENTITA", "Denominazione, codice fiscale, partita IVA e forma giuridica"),
        LegaleRappresentante = ("LEGALE", "Legale rappresentante"),
        Sede = ("SEDE", "Sede legale"),
        Contatti = ("CONTATTI", "PEC, e-mail e telefono"),
        Documenti = ("DOCUMENTI", "Documenti della domanda"),
    }
}

impl Section {
    /// The censimento fields of the section (none for the documents).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Section::Identita => &["denominazione", "codice_fiscale", "partita_iva", "forma_giuridica"],
            Section::LegaleRappresentante => &["legale_nome", "legale_cognome", "legale_codice_fiscale"],
            Section::Sede => &["via", "civico", "cap", "comune", "provincia"],
            Section::Contatti => &["pec", "email", "telefono"],
            Section::Documenti => &[],
        }
    }
    /// The section a censimento field belongs to.
    pub fn of_field(field: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.fields().contains(&field))
    }
}

/// What the provider and the Segreteria see of a registered provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub id: String,
    pub form: ProviderForm,
    pub provider_class: ProviderClass,
    /// Whether the Segreteria has confirmed (or corrected) the Gruppo.
    pub class_confirmed: bool,
    /// True while the provider may change something (a draft, or an integration).
    pub editable: bool,
    /// What the provider may change now: every section in a draft, the reopened ones during an
    /// integration, none otherwise.
    pub open_sections: Vec<Section>,
    /// A draft of an accredited provider: its identity stays as accredited (not open).
    #[serde(default)]
    pub identity_kept: bool,
}

impl ProviderView {
    /// Whether the provider may change `field` now.
    pub fn field_open(&self, field: &str) -> bool {
        Section::of_field(field).is_some_and(|s| self.open_sections.contains(&s))
    }
}

/// One change of a provider's data, as the Segreteria sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ProviderChangeView {
    pub at: String,
    /// Display name of who changed it.
    pub actor: String,
    pub actor_role: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

/// The Italian label of a censimento field (for the change history).
pub fn field_label(field: &str) -> &str {
    match field {
        "provider_class" => "Gruppo",
        "censimento" => "Censimento",
        "treasury_channel" => "Pagamento con quietanza (bonifico di tesoreria)",
        other => crate::domain::field_label_it(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> ProviderForm {
        ProviderForm {
            denominazione: "Società Italiana di Formazione Sanitaria".into(),
            codice_fiscale: "80007580279".into(),
            partita_iva: "80007580279".into(),
            forma_giuridica: "SOCIETA_SCIENTIFICA".into(),
            legale_nome: "Mario".into(),
            legale_cognome: "Rossi".into(),
            legale_codice_fiscale: "rssmra80a01h501u".into(),
            via: "Via Roma".into(),
            civico: "1".into(),
            cap: "30121".into(),
            comune: "Venezia".into(),
            provincia: "ve".into(),
            pec: "formazione@pec.example.it".into(),
            email: "info@example.it".into(),
            telefono: "+39 041 1234567".into(),
        }
    }

    #[test]
    fn a_complete_form_validates_and_derives_the_class() {
        let valid = sample().validate().unwrap();
        assert_eq!(valid.provider_class, ProviderClass::B);
        assert_eq!(valid.provincia, "VE");
        assert_eq!(valid.legale_codice_fiscale.as_str(), "RSSMRA80A01H501U");
        let mut hospital = sample();
        hospital.forma_giuridica = "AZIENDA_SANITARIA".into();
        assert_eq!(hospital.validate().unwrap().provider_class, ProviderClass::A);
    }

    #[test]
    fn every_broken_field_is_reported_at_once() {
        let mut form = sample();
        form.codice_fiscale = "80007580278".into();
        form.partita_iva = "123".into();
        form.cap = "3012".into();
        form.provincia = "Venezia".into();
        form.telefono = "abc".into();
        form.forma_giuridica = "".into();
        form.legale_codice_fiscale = "80007580279".into();
        let errors = form.validate().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.rule)).collect();
        assert_eq!(
            fields,
            vec![
                ("codice_fiscale", FieldRule::CodiceFiscale),
                ("partita_iva", FieldRule::PartitaIva),
                ("forma_giuridica", FieldRule::Choice),
                ("legale_codice_fiscale", FieldRule::CodiceFiscale),
                ("cap", FieldRule::Cap),
                ("provincia", FieldRule::Provincia),
                ("telefono", FieldRule::Telefono),
            ]
        );
    }

    #[test]
    fn get_and_set_cover_every_field() {
        let mut form = ProviderForm::default();
        for (i, field) in ProviderForm::FIELDS.iter().enumerate() {
            form.set(field, format!("v{i}"));
        }
        for (i, field) in ProviderForm::FIELDS.iter().enumerate() {
            assert_eq!(form.get(field), format!("v{i}"), "{field}");
        }
    }

    #[test]
    fn partita_iva_is_optional_but_checked_when_given() {
        let mut form = sample();
        form.partita_iva = "  ".into();
        assert!(form.validate().unwrap().partita_iva.is_none());
    }

    #[test]
    fn names_longer_than_pagopa_accepts_are_refused() {
        let mut form = sample();
        form.denominazione = "x".repeat(71);
        assert_eq!(form.check("denominazione").unwrap_err().rule, FieldRule::TooLong);
    }
}
