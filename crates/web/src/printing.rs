//! Printing a certificate: the paper's data from the register, the PDF from the documents
//! crate's printer, and the print step recorded only once the PDF exists.

use std::sync::{Arc, OnceLock};

use axum::http::header;
use axum::response::{IntoResponse, Response};
use renkou_core::certificate::Step;
use renkou_core::person::FieldError;
use renkou_core::{Actor, CertificateKind, Sex};
use renkou_documents::certificate_pdf::{CertificatePaper, PrintError, Printer};
use renkou_store::{CertificateView, StepInput};

use crate::AppState;
use crate::auth::today;
use crate::error::AppError;
use crate::forms::shown_fields;
use crate::i18n::Catalog;

/// The printer, found on first use: looking for fonts takes a moment, and a server that never
/// prints need not have a Chinese font.
#[derive(Default)]
pub struct PrinterSlot(OnceLock<Result<Arc<Printer>, String>>);

impl PrinterSlot {
    pub fn get(&self) -> Result<Arc<Printer>, String> {
        self.0
            .get_or_init(|| {
                Printer::from_system()
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

/// The paper's data: the holder's register data as the form shows it.
pub fn paper_of(view: &CertificateView, issuer: String, verify_base: &str) -> CertificatePaper {
    let c = &view.certificate;
    let h = &view.holder;
    let t = Catalog::default();
    let shown = shown_fields(t, h);
    let get = |k: &str| shown.get(k).cloned().unwrap_or_default();
    let mut fields = vec![
        ("性别".to_string(), get("sex")),
        ("出生日期".to_string(), get("birth_date")),
        ("民族".to_string(), get("ethnicity")),
        (
            "公民身份号码".to_string(),
            h.data
                .id_number
                .as_ref()
                .map(|i| i.as_str().to_string())
                .unwrap_or_default(),
        ),
        // On paper the place in words (the name the division code stands for when the
        // register holds only the code), the code after it in small print.
        (
            "户籍地".to_string(),
            place_in_words(h.data.registered_place.as_ref()),
        ),
        ("现居住地".to_string(), get("address")),
        ("婚姻状况".to_string(), get("marital_status")),
    ];
    let spouse_name = view
        .spouse
        .as_ref()
        .map(|s| s.data.name.as_str().to_string())
        .or_else(|| {
            c.application
                .spouse_name
                .as_ref()
                .map(|n| n.as_str().to_string())
        });
    let spouse_id = view
        .spouse
        .as_ref()
        .and_then(|s| s.data.id_number.as_ref())
        .or(c.application.spouse_id_number.as_ref())
        .map(|i| i.as_str().to_string());
    match c.kind {
        CertificateKind::ReproductiveHealthCard => {}
        CertificateKind::BirthRegistration => {
            let (wife, husband) = if h.data.sex == Sex::Female {
                ("女方", "男方")
            } else {
                ("男方", "女方")
            };
            fields.insert(0, ("申请人".to_string(), wife.to_string()));
            fields.push((
                format!("配偶（{husband}）姓名"),
                spouse_name.unwrap_or_default(),
            ));
            fields.push((
                "配偶公民身份号码".to_string(),
                spouse_id.unwrap_or_default(),
            ));
            fields.push(("已有子女数".to_string(), view.children.to_string()));
            fields.push(("本次登记".to_string(), format!("第{}孩", view.children + 1)));
            fields.push((
                "预产期".to_string(),
                c.application
                    .expected_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ));
        }
        CertificateKind::MigrantCertificate => {
            fields.push(("配偶姓名".to_string(), spouse_name.unwrap_or_default()));
            fields.push(("现有子女数".to_string(), view.children.to_string()));
            fields.push((
                "外出去向".to_string(),
                c.application
                    .destination
                    .clone()
                    .or_else(|| h.data.origin_or_destination.clone())
                    .unwrap_or_default(),
            ));
        }
    }
    let code = c
        .verify_code
        .as_ref()
        .map(|v| v.to_string())
        .unwrap_or_default();
    CertificatePaper {
        kind: c.kind,
        serial: c.serial.clone().unwrap_or_default(),
        verify_url: format!("{verify_base}/verify/{code}"),
        verify_code: code,
        issuer,
        issued_on: c.issued_on.unwrap_or_else(|| today(c.applied_at)),
        valid_until: c.valid_until,
        replaces_serial: view.replaces_serial.clone(),
        holder_name: h.data.name.as_str().to_string(),
        fields,
        small: h
            .data
            .registered_place
            .as_ref()
            .and_then(|p| p.code.clone())
            .map(|code| vec![("户籍地".to_string(), code)])
            .unwrap_or_default(),
    }
}

/// A place as words: its own text, else the name of its division code (or of the code's
/// nearest known parent); the bare code only when not even its province is known.
fn place_in_words(place: Option<&renkou_core::person::Place>) -> String {
    let Some(p) = place else {
        return String::new();
    };
    if let Some(text) = &p.text {
        return text.clone();
    }
    p.code
        .as_deref()
        .map(|c| {
            renkou_core::division::division(c)
                .map(|d| d.name)
                .unwrap_or_else(|| c.to_string())
        })
        .unwrap_or_default()
}

/// Renders a document and records the print: the store's door decides the print and opens the
/// document (an audited view), the paper is rendered, and only then is the print step written
/// with its copies. Returns the serial and the PDF.
pub async fn print(
    state: &AppState,
    actor: &Actor,
    id: i64,
    copies: u32,
) -> Result<(String, Vec<u8>), AppError> {
    // The address on the paper is only ever the configured one: a request's Host header is
    // the client's to forge.
    let verify_base = state
        .public_url
        .as_deref()
        .ok_or(AppError::PublicUrlMissing)?
        .trim_end_matches('/')
        .to_string();
    let day = today(state.clock.now());
    let a = actor.clone();
    let (view, issuer) = state
        .pool
        .run(move |s| {
            let view = s.certificate_to_print(&a, id, copies, day)?;
            let city = s
                .area_path(&view.certificate.area_code)?
                .into_iter()
                .next()
                .map(|a| a.name)
                .unwrap_or_default();
            Ok((view, format!("{city}社区人口和计划生育服务管理站")))
        })
        .await?;
    let paper = paper_of(&view, issuer, &verify_base);
    let slot = state.printer.clone();
    let rendered = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let printer = slot.get()?;
        printer.render(&paper).map_err(|e| match e {
            PrintError::MissingGlyphs { .. } | PrintError::NoCjkFont => e.to_string(),
            other => format!("打印失败：{other}"),
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let pdf = match rendered {
        Ok(pdf) => pdf,
        Err(message) => {
            // The staff see why (a font to install, a character no font has); the trail
            // keeps that the print failed.
            let a = actor.clone();
            state
                .pool
                .run(move |s| s.certificate_print_failed(&a, id))
                .await?;
            return Err(AppError::Invalid(vec![FieldError::new("print", message)]));
        }
    };
    let a = actor.clone();
    let input = StepInput {
        copies: Some(copies),
        ..StepInput::default()
    };
    let c = state
        .pool
        .run(move |s| s.certificate_step(&a, id, Step::Print, input, day))
        .await?;
    Ok((c.serial.unwrap_or_default(), pdf))
}

pub fn pdf_response(serial: &str, pdf: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{serial}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response()
}
