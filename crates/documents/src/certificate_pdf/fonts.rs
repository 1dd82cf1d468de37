//! Which fonts print a certificate, loaded once and shared by every render.
//!
//! The families are chosen when the printer is built; the book handed to typst holds only their
//! faces, so typst cannot reach for anything the coverage check did not look at.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use typst::foundations::Bytes;
use typst::text::{Font, FontBook, FontInfo, FontVariant, is_default_ignorable};
use typst::utils::LazyHash;

/// Families for the body of the paper, best first: a Song (serif) face as on printed forms, then
/// the common Hei faces.
const PRIMARY: &[&str] = &[
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "AR PL UMing CN",
    "AR PL SungtiL GB",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
];

/// Families tried, in this order, for what the primary lacks: rare characters in names
/// (Extensions B–F are in HanaMin and BabelStone Han), then a Latin face for stray symbols.
const FALLBACKS: &[&str] = &[
    "Noto Serif CJK SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "HanaMinA",
    "HanaMinB",
    "BabelStone Han",
    "Jigmo",
    "Jigmo2",
    "Jigmo3",
    "Plangothic P1",
    "Plangothic P2",
    "DejaVu Sans",
];

/// What any font that prints these papers must have; a face lacking one of them is no
/// Chinese font for our purpose.
const CJK_SAMPLE: &str = "中华人民共和国生殖保健服务证流动人口婚育证明生育登记单姓名性别出生日期民族公民身份号码户籍地现居住地婚姻状况配偶发证机关有效期至盖章";

/// A face found on disk, with what typst knows of it.
pub(super) struct Found {
    pub path: PathBuf,
    pub index: u32,
    pub info: FontInfo,
    /// From a directory named by the caller (RENKOU_FONT_DIRS, `from_font_paths`): its CJK
    /// families are used as fallbacks even when they are not in our lists.
    pub explicit: bool,
}

/// The system's font directories, then those in RENKOU_FONT_DIRS.
pub(super) fn discover_system() -> Vec<Found> {
    let mut found: Vec<Found> = typst_kit::fonts::system()
        .map(|(path, info)| Found {
            path: path.path,
            index: path.index,
            info,
            explicit: false,
        })
        .collect();
    if let Some(dirs) = std::env::var_os("RENKOU_FONT_DIRS") {
        for dir in std::env::split_paths(&dirs) {
            if !dir.as_os_str().is_empty() {
                found.extend(scan(&dir));
            }
        }
    }
    found
}

/// Font files, or directories searched recursively.
pub(super) fn discover_paths(paths: &[PathBuf]) -> Vec<Found> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            found.extend(scan(path));
        } else if let Ok(data) = std::fs::read(path) {
            found.extend(
                FontInfo::iter(&data)
                    .enumerate()
                    .map(|(index, info)| Found {
                        path: path.clone(),
                        index: index as u32,
                        info,
                        explicit: true,
                    }),
            );
        }
    }
    found
}

fn scan(dir: &Path) -> impl Iterator<Item = Found> {
    typst_kit::fonts::scan(dir).map(|(path, info)| Found {
        path: path.path,
        index: path.index,
        info,
        explicit: true,
    })
}

/// A font file, read once when the first of its faces is needed. The faces of a collection
/// (.ttc) share the one copy.
struct FontFile {
    path: PathBuf,
    data: OnceLock<Option<Bytes>>,
}

struct Face {
    file: usize,
    index: u32,
    font: OnceLock<Option<Font>>,
}

/// The chosen families, their faces, and what they cover.
pub(super) struct Fonts {
    book: LazyHash<FontBook>,
    files: Vec<FontFile>,
    faces: Vec<Face>,
    families: Vec<String>,
    /// The regular face of each family, in family order: what the data is printed in, and so
    /// what the coverage check asks.
    regular: Vec<usize>,
}

impl Fonts {
    /// Chooses the families among the faces found; `None` when none of them prints Chinese.
    pub(super) fn choose(found: Vec<Found>) -> Option<Fonts> {
        let found = dedup(found);
        let all = FontBook::from_infos(found.iter().map(|f| f.info.clone()));
        let regular_of = |family: &str| all.select(&family.to_lowercase(), FontVariant::default());
        let prints_chinese = |family: &str| {
            regular_of(family).is_some_and(|i| {
                let coverage = &all.info(i).expect("index from the book").coverage;
                CJK_SAMPLE.chars().all(|c| coverage.contains(c as u32))
            })
        };

        // The primary: the first preferred family present, else any family that prints
        // Chinese (a deployment may have fonts we do not know by name).
        let mut names: Vec<&str> = all.families().map(|(name, _)| name).collect();
        names.sort_unstable();
        let primary = PRIMARY
            .iter()
            .copied()
            .find(|f| prints_chinese(f))
            .or_else(|| names.iter().copied().find(|f| prints_chinese(f)))?;

        let mut families = vec![primary.to_string()];
        let mut add = |family: &str| {
            if regular_of(family).is_some()
                && !families.iter().any(|f| f.eq_ignore_ascii_case(family))
            {
                families.push(family.to_string());
            }
        };
        for family in FALLBACKS {
            add(family);
        }
        // Families the caller pointed at and that have Han characters: most likely installed
        // for names the standard ones lack.
        let mut seen = HashSet::new();
        for f in found.iter().filter(|f| f.explicit) {
            if seen.insert(f.info.family.clone()) && f.info.coverage.iter().any(is_han) {
                add(&f.info.family);
            }
        }

        // Keep only the chosen families' faces, sharing one file slot per path.
        let chosen: HashSet<String> = families.iter().map(|f| f.to_lowercase()).collect();
        let mut book = FontBook::new();
        let mut files: Vec<FontFile> = Vec::new();
        let mut file_of: HashMap<PathBuf, usize> = HashMap::new();
        let mut faces = Vec::new();
        for f in found {
            if !chosen.contains(&f.info.family.to_lowercase()) {
                continue;
            }
            let file = *file_of.entry(f.path.clone()).or_insert_with(|| {
                files.push(FontFile {
                    path: f.path,
                    data: OnceLock::new(),
                });
                files.len() - 1
            });
            book.push(f.info);
            faces.push(Face {
                file,
                index: f.index,
                font: OnceLock::new(),
            });
        }
        let regular = families
            .iter()
            .map(|f| {
                book.select(&f.to_lowercase(), FontVariant::default())
                    .expect("every chosen family has a regular face")
            })
            .collect();

        Some(Fonts {
            book: LazyHash::new(book),
            files,
            faces,
            families,
            regular,
        })
    }

    pub(super) fn families(&self) -> &[String] {
        &self.families
    }

    pub(super) fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    /// The face at this index of the book, loaded on first use.
    pub(super) fn font(&self, index: usize) -> Option<Font> {
        let face = self.faces.get(index)?;
        face.font
            .get_or_init(|| {
                let file = &self.files[face.file];
                let data = file
                    .data
                    .get_or_init(|| std::fs::read(&file.path).ok().map(Bytes::new))
                    .clone()?;
                Font::new(data, face.index)
            })
            .clone()
    }

    /// Whether some chosen family prints this character. Whitespace and default-ignorable
    /// characters (variation selectors, joiners) print as nothing and need no glyph.
    pub(super) fn covers(&self, c: char) -> bool {
        c.is_whitespace()
            || is_default_ignorable(c)
            || self.regular.iter().any(|&i| {
                self.book
                    .info(i)
                    .is_some_and(|info| info.coverage.contains(c as u32))
            })
    }
}

/// One entry per face, even when a file is reachable by two paths (Debian links
/// fonts-japanese-mincho.ttf to HanaMinA.ttf) or a RENKOU_FONT_DIRS entry repeats a system
/// directory; a face named by the caller stays marked as such.
fn dedup(found: Vec<Found>) -> Vec<Found> {
    let mut seen: HashMap<(PathBuf, u32), usize> = HashMap::new();
    let mut kept: Vec<Found> = Vec::new();
    for f in found {
        let real = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
        match seen.entry((real, f.index)) {
            Entry::Occupied(at) => kept[*at.get()].explicit |= f.explicit,
            Entry::Vacant(at) => {
                at.insert(kept.len());
                kept.push(f);
            }
        }
    }
    kept
}

/// CJK Unified Ideographs, the Extension A block and Extensions B onwards.
fn is_han(c: u32) -> bool {
    matches!(c, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0x20000..=0x323AF)
}
