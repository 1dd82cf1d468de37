//! Certificate rendering: the first paper (fonts read from disk, typst's caches cold), then
//! 200 more with different names, some with an Extension B character that falls back to HanaMin.
//! Exits 1 when the median is 50 ms or more. Peak RSS is read before a second printer is built
//! to show what loading the fonts costs.
//!
//! cargo bench -p renkou-documents --bench certificate_render

use std::time::{Duration, Instant};

use jiff::civil::date;
use renkou_core::CertificateKind;
use renkou_documents::certificate_pdf::{CertificatePaper, Printer};

const RUNS: usize = 200;
const TARGET_MS: f64 = 50.0;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳",
];
const GIVEN: &[&str] = &[
    "秀英", "桂英", "建国", "志强", "丽娟", "海燕", "子涵", "浩然", "雨桐", "𪚥", "淑珍", "一鸣",
];
const KINDS: [CertificateKind; 3] = [
    CertificateKind::ReproductiveHealthCard,
    CertificateKind::BirthRegistration,
    CertificateKind::MigrantCertificate,
];

fn paper(i: usize) -> CertificatePaper {
    let name = format!(
        "{}{}",
        SURNAMES[i % SURNAMES.len()],
        GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()]
    );
    let fields = [
        (
            "性别",
            if i.is_multiple_of(2) { "女" } else { "男" }.to_string(),
        ),
        (
            "出生日期",
            format!("{}年{}月{}日", 1975 + i % 30, 1 + i % 12, 1 + i % 28),
        ),
        ("民族", "汉族".to_string()),
        ("公民身份号码", format!("3407051990{:08}", i)),
        ("户籍地", "安徽省示范市铜官区".to_string()),
        (
            "现居住地",
            format!(
                "安徽省示范市铜官区长江中路街道幸福社区和平巷{}号",
                i % 90 + 1
            ),
        ),
        ("婚姻状况", "已婚".to_string()),
        (
            "配偶姓名",
            format!("{}{}", SURNAMES[(i + 3) % SURNAMES.len()], GIVEN[i % 9]),
        ),
    ];
    CertificatePaper {
        kind: KINDS[i % 3],
        serial: format!("SB2026{i:06}"),
        verify_code: format!("7KQ2M9X{:03}", i % 1000),
        verify_url: format!("https://renkou.example/verify/7KQ2M9X{:03}", i % 1000),
        issuer: "示范市社区人口和计划生育服务管理站".to_string(),
        issued_on: date(2026, 3, 5),
        valid_until: (i % 3 != 1).then(|| date(2031, 3, 4)),
        replaces_serial: i.is_multiple_of(7).then(|| format!("SB2025{i:06}")),
        holder_name: name,
        fields: fields
            .into_iter()
            .map(|(l, v)| (l.to_string(), v))
            .collect(),
        small: Vec::new(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size of this process, from the kernel.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let start = Instant::now();
    let printer = Printer::from_system().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let discovery = start.elapsed();
    println!("fonts: {}", printer.font_families().join(", "));

    let start = Instant::now();
    let first_pdf = printer.render(&paper(0)).expect("first render");
    let first = start.elapsed();

    let mut times = Vec::with_capacity(RUNS);
    let mut bytes = Vec::with_capacity(RUNS);
    let mut rare = 0;
    let mut first_rare = None;
    for i in 1..=RUNS {
        let p = paper(i);
        let start = Instant::now();
        let pdf = printer.render(&p).expect("render");
        let took = start.elapsed();
        if p.holder_name.contains('𪚥') || p.fields.iter().any(|(_, v)| v.contains('𪚥')) {
            rare += 1;
            // The first paper that needs HanaMin reads that font from disk.
            first_rare.get_or_insert(took);
        }
        times.push(took);
        bytes.push(pdf.len());
    }
    times.sort_unstable();
    bytes.sort_unstable();
    let median = ms(times[RUNS / 2]);
    let p95 = ms(times[RUNS * 95 / 100]);
    let max = ms(times[RUNS - 1]);

    println!(
        "font discovery (Printer::from_system): {:.0} ms",
        ms(discovery)
    );
    println!(
        "first render: {:.1} ms ({} bytes)",
        ms(first),
        first_pdf.len()
    );
    println!(
        "next {RUNS} renders ({rare} with 𪚥): median {median:.1} ms, p95 {p95:.1} ms, max {max:.1} ms"
    );
    if let Some(took) = first_rare {
        println!("first render with 𪚥 (loads HanaMin): {:.1} ms", ms(took));
    }
    println!(
        "PDF size: median {} bytes, max {} bytes",
        bytes[RUNS / 2],
        bytes[RUNS - 1]
    );
    match peak_rss_mb() {
        Some(mb) => println!("peak RSS: {mb:.0} MB"),
        None => println!("peak RSS: unknown (no /proc/self/status)"),
    }

    // What the fonts alone cost: a second printer reads and hashes them anew, while typst's
    // caches (the template, the library, shaping keyed by the fonts' contents) are warm.
    let again = Printer::from_system().expect("printer");
    let start = Instant::now();
    again.render(&paper(0)).expect("render");
    println!(
        "first render of a second printer (fonts read again, caches warm): {:.1} ms",
        ms(start.elapsed())
    );
    if median >= TARGET_MS {
        println!("FAIL: median {median:.1} ms ≥ {TARGET_MS} ms");
        std::process::exit(1);
    }
    println!("ok: median below {TARGET_MS} ms");
}
