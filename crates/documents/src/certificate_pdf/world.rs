//! The world one render sees: the template, the paper's data as JSON, its QR code, and the
//! printer's fonts. There is no file system behind it.

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use super::fonts::Fonts;

/// The virtual paths the template reads.
pub(super) struct Files {
    pub main: FileId,
    pub data: FileId,
    pub qr: FileId,
}

impl Files {
    pub(super) fn new() -> Files {
        let id = |path: &str| {
            RootedPath::new(
                VirtualRoot::Project,
                VirtualPath::new(path).expect("a valid virtual path"),
            )
            .intern()
        };
        Files {
            main: id("/certificate.typ"),
            data: id("/data.json"),
            qr: id("/qr.svg"),
        }
    }
}

pub(super) struct PaperWorld<'a> {
    pub library: &'a LazyHash<Library>,
    pub fonts: &'a Fonts,
    pub files: &'a Files,
    pub main: &'a Source,
    pub data: Bytes,
    pub qr: Bytes,
}

impl World for PaperWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.files.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.files.main {
            Ok(self.main.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.files.data {
            Ok(self.data.clone())
        } else if id == self.files.qr {
            Ok(self.qr.clone())
        } else if id == self.files.main {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    /// The papers carry their own dates; the template never asks for today.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}
