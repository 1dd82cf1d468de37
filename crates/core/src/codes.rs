//! The national code tables the register uses. Each value can be given by its code (a spreadsheet
//! may have dropped leading zeros: 1 for 01), by its Chinese name, by a common short name, or by
//! its English name; it is stored by code and shown by name.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("「{value}」不是有效的{label}，可填写：{choices}")]
pub struct CodeError {
    pub label: &'static str,
    pub value: String,
    pub choices: String,
}

fn same_code(code: &str, input: &str) -> bool {
    code == input
        || (code.bytes().all(|b| b.is_ascii_digit())
            && !input.is_empty()
            && input.bytes().all(|b| b.is_ascii_digit())
            && code.trim_start_matches('0') == input.trim_start_matches('0'))
}

macro_rules! code_table {
    (
        $(#[$meta:meta])*
        $name:ident, $label:literal, $shown:literal,
        { $($variant:ident = ($code:literal, $zh:literal, $en:literal $(, $alias:literal)*)),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the field is called on a form or in a file header.
            pub const LABEL: &'static str = $label;

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            pub fn name_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }
            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$($alias),*]),+ }
            }

            /// By code, Chinese name, common short name or English name.
            pub fn parse(input: &str) -> Result<Self, CodeError> {
                let s = input.trim();
                // Most cells hold a name; only all-digit (or key-like) input is compared as a code.
                let by_code = || Self::ALL.iter().copied().find(|v| same_code(v.code(), s));
                let by_name = || Self::ALL.iter().copied().find(|v| {
                    v.name_zh() == s
                        || v.name_en().eq_ignore_ascii_case(s)
                        || v.aliases().iter().any(|a| a.eq_ignore_ascii_case(s))
                });
                let looks_like_code = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                let found = if looks_like_code { by_code().or_else(by_name) } else { by_name() };
                found.ok_or_else(|| CodeError {
                        label: $label,
                        value: s.to_string(),
                        choices: $shown.to_string(),
                    })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name_zh())
            }
        }
    };
}

code_table! {
    /// GB/T 2261.1-2003. The register records people as male or female; 0 and 9 are not used.
    Sex, "性别", "男、女（或代码1、2）", {
        Male = ("1", "男", "male", "男性", "M"),
        Female = ("2", "女", "female", "女性", "F"),
    }
}

code_table! {
    /// GB/T 2261.2-2003.
    MaritalStatus, "婚姻状况", "未婚、已婚、初婚、再婚、复婚、丧偶、离婚、未说明（或代码10、20、21、22、23、30、40、90）", {
        Unmarried = ("10", "未婚", "unmarried", "single"),
        Married = ("20", "已婚", "married"),
        FirstMarriage = ("21", "初婚", "first_marriage"),
        Remarried = ("22", "再婚", "remarried"),
        Reunited = ("23", "复婚", "reunited"),
        Widowed = ("30", "丧偶", "widowed"),
        Divorced = ("40", "离婚", "divorced"),
        Unstated = ("90", "未说明", "unstated", "未说明的婚姻状况"),
    }
}

impl MaritalStatus {
    /// Currently in a marriage (已婚 and its sub-codes).
    pub fn is_married(self) -> bool {
        crate::indicator::MARRIED.contains(&self)
    }
}

code_table! {
    /// GB 3304-1991 names and codes of China's ethnic groups.
    Ethnicity, "民族", "汉族、回族、满族……（GB 3304 名称或代码，如 01）", {
        Han = ("01", "汉族", "Han", "汉"),
        Mongol = ("02", "蒙古族", "Mongol", "蒙古", "蒙"),
        Hui = ("03", "回族", "Hui", "回"),
        Tibetan = ("04", "藏族", "Tibetan", "藏"),
        Uyghur = ("05", "维吾尔族", "Uyghur", "维吾尔", "维"),
        Miao = ("06", "苗族", "Miao", "苗"),
        Yi = ("07", "彝族", "Yi", "彝"),
        Zhuang = ("08", "壮族", "Zhuang", "壮"),
        Bouyei = ("09", "布依族", "Bouyei", "布依"),
        Korean = ("10", "朝鲜族", "Korean", "朝鲜"),
        Manchu = ("11", "满族", "Manchu", "满"),
        Dong = ("12", "侗族", "Dong", "侗"),
        Yao = ("13", "瑶族", "Yao", "瑶"),
        Bai = ("14", "白族", "Bai", "白"),
        Tujia = ("15", "土家族", "Tujia", "土家"),
        Hani = ("16", "哈尼族", "Hani", "哈尼"),
        Kazakh = ("17", "哈萨克族", "Kazakh", "哈萨克"),
        Dai = ("18", "傣族", "Dai", "傣"),
        Li = ("19", "黎族", "Li", "黎"),
        Lisu = ("20", "傈僳族", "Lisu", "傈僳"),
        Va = ("21", "佤族", "Va", "佤"),
        She = ("22", "畲族", "She", "畲"),
        Gaoshan = ("23", "高山族", "Gaoshan", "高山"),
        Lahu = ("24", "拉祜族", "Lahu", "拉祜"),
        Shui = ("25", "水族", "Shui", "水"),
        Dongxiang = ("26", "东乡族", "Dongxiang", "东乡"),
        Naxi = ("27", "纳西族", "Naxi", "纳西"),
        Jingpo = ("28", "景颇族", "Jingpo", "景颇"),
        Kyrgyz = ("29", "柯尔克孜族", "Kyrgyz", "柯尔克孜"),
        Tu = ("30", "土族", "Tu", "土"),
        Daur = ("31", "达斡尔族", "Daur", "达斡尔"),
        Mulao = ("32", "仫佬族", "Mulao", "仫佬"),
        Qiang = ("33", "羌族", "Qiang", "羌"),
        Blang = ("34", "布朗族", "Blang", "布朗"),
        Salar = ("35", "撒拉族", "Salar", "撒拉"),
        Maonan = ("36", "毛南族", "Maonan", "毛南"),
        Gelao = ("37", "仡佬族", "Gelao", "仡佬"),
        Xibe = ("38", "锡伯族", "Xibe", "锡伯"),
        Achang = ("39", "阿昌族", "Achang", "阿昌"),
        Pumi = ("40", "普米族", "Pumi", "普米"),
        Tajik = ("41", "塔吉克族", "Tajik", "塔吉克"),
        Nu = ("42", "怒族", "Nu", "怒"),
        Uzbek = ("43", "乌孜别克族", "Uzbek", "乌孜别克"),
        Russian = ("44", "俄罗斯族", "Russian", "俄罗斯"),
        Evenki = ("45", "鄂温克族", "Evenki", "鄂温克"),
        Deang = ("46", "德昂族", "De'ang", "德昂"),
        Bonan = ("47", "保安族", "Bonan", "保安"),
        Yugur = ("48", "裕固族", "Yugur", "裕固"),
        Gin = ("49", "京族", "Gin", "京"),
        Tatar = ("50", "塔塔尔族", "Tatar", "塔塔尔"),
        Derung = ("51", "独龙族", "Derung", "独龙"),
        Oroqen = ("52", "鄂伦春族", "Oroqen", "鄂伦春"),
        Hezhen = ("53", "赫哲族", "Hezhen", "赫哲"),
        Monba = ("54", "门巴族", "Monba", "门巴"),
        Lhoba = ("55", "珞巴族", "Lhoba", "珞巴"),
        Jino = ("56", "基诺族", "Jino", "基诺"),
        Other = ("97", "其他", "Other", "其他民族"),
        ForeignOrigin = ("98", "外国血统中国籍人士", "Foreign-born Chinese citizen", "外国血统"),
    }
}

code_table! {
    /// GB/T 4761-2008 family relation codes, as used for 与户主关系.
    Relation, "与户主关系", "户主、配偶、子、女、父亲、母亲、孙子、兄、其他亲属、非亲属……（或 GB/T 4761 代码）", {
        Self_ = ("01", "本人", "self"),
        Head = ("02", "户主", "head"),
        Spouse = ("10", "配偶", "spouse"),
        Husband = ("11", "夫", "husband", "丈夫"),
        Wife = ("12", "妻", "wife", "妻子"),
        Son = ("20", "子", "son", "儿子"),
        OnlySon = ("21", "独生子", "only son"),
        EldestSon = ("22", "长子", "eldest son"),
        SecondSon = ("23", "次子", "second son"),
        ThirdSon = ("24", "三子", "third son"),
        FourthSon = ("25", "四子", "fourth son"),
        FifthSon = ("26", "五子", "fifth son"),
        AdoptedOrStepSon = ("27", "养子或继子", "adopted or stepson", "养子", "继子"),
        SonInLaw = ("28", "女婿", "son-in-law"),
        OtherSon = ("29", "其他儿子", "other son"),
        Daughter = ("30", "女", "daughter", "女儿"),
        OnlyDaughter = ("31", "独生女", "only daughter"),
        EldestDaughter = ("32", "长女", "eldest daughter"),
        SecondDaughter = ("33", "次女", "second daughter"),
        ThirdDaughter = ("34", "三女", "third daughter"),
        FourthDaughter = ("35", "四女", "fourth daughter"),
        FifthDaughter = ("36", "五女", "fifth daughter"),
        AdoptedOrStepDaughter = ("37", "养女或继女", "adopted or stepdaughter", "养女", "继女"),
        DaughterInLaw = ("38", "儿媳", "daughter-in-law", "儿媳妇"),
        OtherDaughter = ("39", "其他女儿", "other daughter"),
        Grandchild = ("40", "孙子、孙女或外孙子、外孙女", "grandchild"),
        Grandson = ("41", "孙子", "grandson"),
        Granddaughter = ("42", "孙女", "granddaughter"),
        DaughtersSon = ("43", "外孙子", "daughter's son", "外孙"),
        DaughtersDaughter = ("44", "外孙女", "daughter's daughter"),
        GrandsonsWife = ("45", "孙媳妇或外孙媳妇", "grandson's wife", "孙媳妇"),
        GranddaughtersHusband = ("46", "孙女婿或外孙女婿", "granddaughter's husband", "孙女婿"),
        GreatGrandson = ("47", "曾孙子或外曾孙子", "great-grandson", "曾孙子"),
        GreatGranddaughter = ("48", "曾孙女或外曾孙女", "great-granddaughter", "曾孙女"),
        OtherGrandchild = ("49", "其他孙子、孙女或外孙子、外孙女", "other grandchild"),
        Parent = ("50", "父母", "parent"),
        Father = ("51", "父亲", "father", "父"),
        Mother = ("52", "母亲", "mother", "母"),
        FatherInLawOfWife = ("53", "公公", "husband's father"),
        MotherInLawOfWife = ("54", "婆婆", "husband's mother"),
        FatherInLawOfHusband = ("55", "岳父", "wife's father"),
        MotherInLawOfHusband = ("56", "岳母", "wife's mother"),
        StepOrAdoptiveFather = ("57", "继父或养父", "step or adoptive father", "继父", "养父"),
        StepOrAdoptiveMother = ("58", "继母或养母", "step or adoptive mother", "继母", "养母"),
        OtherParent = ("59", "其他父母关系", "other parent"),
        Grandparent = ("60", "祖父母或外祖父母", "grandparent"),
        Grandfather = ("61", "祖父", "grandfather", "爷爷"),
        Grandmother = ("62", "祖母", "grandmother", "奶奶"),
        MaternalGrandfather = ("63", "外祖父", "maternal grandfather", "外公"),
        MaternalGrandmother = ("64", "外祖母", "maternal grandmother", "外婆"),
        SpousesGrandparent = ("65", "配偶的祖父母或外祖父母", "spouse's grandparent"),
        GreatGrandfather = ("66", "曾祖父", "great-grandfather"),
        GreatGrandmother = ("67", "曾祖母", "great-grandmother"),
        SpousesGreatGrandparent = ("68", "配偶的曾祖父母或外曾祖父母", "spouse's great-grandparent"),
        OtherGrandparent = ("69", "其他祖父母或外祖父母关系", "other grandparent"),
        Sibling = ("70", "兄弟姐妹", "sibling"),
        ElderBrother = ("71", "兄", "elder brother", "哥哥"),
        ElderBrothersWife = ("72", "嫂", "elder brother's wife", "嫂子"),
        YoungerBrother = ("73", "弟", "younger brother", "弟弟"),
        YoungerBrothersWife = ("74", "弟媳", "younger brother's wife"),
        ElderSister = ("75", "姐姐", "elder sister", "姐"),
        ElderSistersHusband = ("76", "姐夫", "elder sister's husband"),
        YoungerSister = ("77", "妹妹", "younger sister", "妹"),
        YoungerSistersHusband = ("78", "妹夫", "younger sister's husband"),
        OtherSibling = ("79", "其他兄弟姐妹", "other sibling"),
        Other = ("80", "其他", "other"),
        FathersElderBrother = ("81", "伯父", "father's elder brother"),
        FathersElderBrothersWife = ("82", "伯母", "father's elder brother's wife"),
        FathersYoungerBrother = ("83", "叔父", "father's younger brother", "叔叔"),
        FathersYoungerBrothersWife = ("84", "婶母", "father's younger brother's wife", "婶婶"),
        MothersBrother = ("85", "舅父", "mother's brother", "舅舅"),
        MothersBrothersWife = ("86", "舅母", "mother's brother's wife"),
        MothersSistersHusband = ("87", "姨父", "mother's sister's husband"),
        MothersSister = ("88", "姨母", "mother's sister", "阿姨"),
        FathersSistersHusband = ("89", "姑父", "father's sister's husband"),
        FathersSister = ("90", "姑母", "father's sister", "姑姑"),
        Cousin = ("91", "堂兄弟、堂姐妹", "paternal cousin"),
        MaternalCousin = ("92", "表兄弟、表姐妹", "cousin"),
        Nephew = ("93", "侄子", "nephew"),
        Niece = ("94", "侄女", "niece"),
        SistersSon = ("95", "外甥", "sister's son"),
        SistersDaughter = ("96", "外甥女", "sister's daughter"),
        OtherRelative = ("97", "其他亲属", "other relative"),
        NotRelated = ("99", "非亲属", "not related"),
    }
}

impl Relation {
    /// The relation a newborn gets to the head of the mother's household, given the mother's own.
    pub fn of_newborn(mother: Option<Relation>, child_sex: Sex) -> Relation {
        let grandchild = matches!(
            mother,
            Some(
                Relation::Daughter
                    | Relation::OnlyDaughter
                    | Relation::EldestDaughter
                    | Relation::SecondDaughter
                    | Relation::ThirdDaughter
                    | Relation::FourthDaughter
                    | Relation::FifthDaughter
                    | Relation::AdoptedOrStepDaughter
                    | Relation::OtherDaughter
                    | Relation::DaughterInLaw
            )
        );
        match (grandchild, mother, child_sex) {
            (true, Some(Relation::DaughterInLaw), Sex::Male) => Relation::Grandson,
            (true, Some(Relation::DaughterInLaw), Sex::Female) => Relation::Granddaughter,
            (true, _, Sex::Male) => Relation::DaughtersSon,
            (true, _, Sex::Female) => Relation::DaughtersDaughter,
            (false, Some(Relation::Head | Relation::Wife | Relation::Spouse), Sex::Male) => {
                Relation::Son
            }
            (false, Some(Relation::Head | Relation::Wife | Relation::Spouse), Sex::Female) => {
                Relation::Daughter
            }
            _ => Relation::OtherRelative,
        }
    }
}

code_table! {
    /// GB/T 4658-2006 education levels, top-level classes.
    Education, "文化程度", "研究生、大学本科、大学专科、中专、技工学校、高中、初中、小学、其他（或 GB/T 4658 代码）", {
        Postgraduate = ("10", "研究生", "postgraduate", "博士", "硕士", "研究生教育"),
        Bachelor = ("20", "大学本科", "bachelor", "本科"),
        College = ("30", "大学专科", "college", "大专", "专科", "大学专科和专科学校"),
        Secondary = ("40", "中等专业学校", "secondary vocational", "中专", "中等专科"),
        Technical = ("50", "技工学校", "technical school", "技校"),
        HighSchool = ("60", "普通高级中学", "high school", "高中"),
        JuniorHigh = ("70", "初级中学", "junior high", "初中"),
        Primary = ("80", "小学", "primary"),
        Other = ("90", "其他", "other", "文盲", "半文盲", "未上过学"),
    }
}

code_table! {
    /// 人口类型: where a person lives compared with where they are registered.
    PopulationType, "人口类型", "常住、流入、流出（或 resident、migrant_in、migrant_out）", {
        Resident = ("resident", "常住", "resident", "常住人口", "户籍", "户籍人口"),
        MigrantIn = ("migrant_in", "流入", "migrant in", "流入人口", "流动人口"),
        MigrantOut = ("migrant_out", "流出", "migrant out", "流出人口"),
    }
}

code_table! {
    /// 避孕方法: the methods the contraception services record.
    ContraceptionMethod, "避孕方法", "宫内节育器、皮下埋植、女性绝育、男性绝育、口服避孕药、避孕针、避孕套、外用避孕药、其他", {
        Iud = ("iud", "宫内节育器", "IUD", "上环", "放环"),
        Implant = ("implant", "皮下埋植", "implant", "皮埋"),
        TubalLigation = ("tubal_ligation", "女性绝育", "tubal ligation", "输卵管结扎", "女扎"),
        Vasectomy = ("vasectomy", "男性绝育", "vasectomy", "输精管结扎", "男扎"),
        OralPill = ("oral_pill", "口服避孕药", "oral pill", "口服药"),
        Injection = ("injection", "避孕针", "injection", "注射避孕针"),
        Condom = ("condom", "避孕套", "condom", "安全套"),
        Spermicide = ("spermicide", "外用避孕药", "spermicide"),
        Other = ("other", "其他", "other", "其他方法"),
    }
}

code_table! {
    /// 妊娠结局: how a recorded pregnancy ended. A live birth is recorded as a birth event, which
    /// ends the pregnancy and creates the child's record.
    PregnancyOutcome, "妊娠结局", "自然流产、人工流产、死胎死产、异位妊娠、其他", {
        Miscarriage = ("miscarriage", "自然流产", "miscarriage"),
        InducedAbortion = ("induced_abortion", "人工流产", "induced abortion", "人流"),
        Stillbirth = ("stillbirth", "死胎死产", "stillbirth", "死产", "死胎"),
        Ectopic = ("ectopic", "异位妊娠", "ectopic", "宫外孕"),
        Other = ("other", "其他", "other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_code_name_short_name_and_english() {
        assert_eq!(Ethnicity::parse("01"), Ok(Ethnicity::Han));
        assert_eq!(Ethnicity::parse("1"), Ok(Ethnicity::Han)); // Excel dropped the zero
        assert_eq!(Ethnicity::parse("汉"), Ok(Ethnicity::Han));
        assert_eq!(Ethnicity::parse("汉族"), Ok(Ethnicity::Han));
        assert_eq!(Ethnicity::parse("Hui"), Ok(Ethnicity::Hui));
        assert_eq!(MaritalStatus::parse("已婚"), Ok(MaritalStatus::Married));
        assert_eq!(MaritalStatus::parse("22"), Ok(MaritalStatus::Remarried));
        assert_eq!(Relation::parse("户主"), Ok(Relation::Head));
        assert_eq!(Relation::parse("儿子"), Ok(Relation::Son));
        assert_eq!(Relation::parse("2"), Ok(Relation::Head));
        assert_eq!(Sex::parse("女"), Ok(Sex::Female));
        assert_eq!(PopulationType::parse("流入"), Ok(PopulationType::MigrantIn));
        assert_eq!(
            PopulationType::parse("migrant_out"),
            Ok(PopulationType::MigrantOut)
        );
    }

    #[test]
    fn an_unknown_value_lists_what_is_allowed() {
        let err = MaritalStatus::parse("同居").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("「同居」不是有效的婚姻状况，可填写：未婚")
        );
    }

    #[test]
    fn codes_and_names_are_unique_in_each_table() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            code: fn(T) -> &'static str,
            name: fn(T) -> &'static str,
            parse: fn(&str) -> Result<T, CodeError>,
        ) {
            for &v in all {
                assert_eq!(parse(code(v)), Ok(v), "{v:?} by code");
                assert_eq!(parse(name(v)), Ok(v), "{v:?} by name");
            }
        }
        check(
            Ethnicity::ALL,
            Ethnicity::code,
            Ethnicity::name_zh,
            Ethnicity::parse,
        );
        check(
            Relation::ALL,
            Relation::code,
            Relation::name_zh,
            Relation::parse,
        );
        check(
            MaritalStatus::ALL,
            MaritalStatus::code,
            MaritalStatus::name_zh,
            MaritalStatus::parse,
        );
        check(
            Education::ALL,
            Education::code,
            Education::name_zh,
            Education::parse,
        );
        check(
            ContraceptionMethod::ALL,
            ContraceptionMethod::code,
            ContraceptionMethod::name_zh,
            ContraceptionMethod::parse,
        );
        check(
            PregnancyOutcome::ALL,
            PregnancyOutcome::code,
            PregnancyOutcome::name_zh,
            PregnancyOutcome::parse,
        );
        assert_eq!(Ethnicity::ALL.len(), 58);
    }
}

code_table! {
    /// The changes recorded on a person's timeline. 建档 is written by the register itself when a
    /// person is first entered; the others come from forms, files and field reports.
    EventKind, "事件", "结婚、离婚、再婚、怀孕、妊娠结局、出生、避孕开始、避孕变更、避孕停止、迁入、迁出、死亡、更正", {
        Registered = ("registered", "建档", "registered"),
        Marriage = ("marriage", "结婚", "marriage"),
        Divorce = ("divorce", "离婚", "divorce"),
        Remarriage = ("remarriage", "再婚", "remarriage", "复婚"),
        Pregnancy = ("pregnancy", "怀孕", "pregnancy", "孕情"),
        PregnancyOutcome = ("pregnancy_outcome", "妊娠结局", "pregnancy outcome"),
        Birth = ("birth", "出生", "birth", "生育"),
        ContraceptionStart = ("contraception_start", "避孕开始", "contraception start", "落实避孕"),
        ContraceptionChange = ("contraception_change", "避孕变更", "contraception change", "变更避孕方法"),
        ContraceptionStop = ("contraception_stop", "避孕停止", "contraception stop", "停止避孕"),
        MoveIn = ("move_in", "迁入", "move in", "流入"),
        MoveOut = ("move_out", "迁出", "move out", "流出"),
        Death = ("death", "死亡", "death"),
        Correction = ("correction", "更正", "correction"),
    }
}

impl EventKind {
    /// Pregnancy and contraception: health data, shown only to roles whose work needs it.
    pub fn is_health(self) -> bool {
        use EventKind::*;
        matches!(
            self,
            Pregnancy
                | PregnancyOutcome
                | ContraceptionStart
                | ContraceptionChange
                | ContraceptionStop
        )
    }
}

code_table! {
    /// The three documents the station reviews, issues and manages (DOMAIN.md, "Certificates").
    /// 生育登记 is today's practice for the plan's 《生育证》: a registration, not a permit.
    CertificateKind, "证件类型", "生殖保健服务证、生育登记、流动人口婚育证明", {
        ReproductiveHealthCard = ("reproductive_health_card", "生殖保健服务证", "reproductive health service card", "生殖保健"),
        BirthRegistration = ("birth_registration", "生育登记", "birth registration", "生育证", "生育服务证"),
        MigrantCertificate = ("migrant_certificate", "流动人口婚育证明", "migrant marriage and childbearing certificate", "婚育证明"),
    }
}

code_table! {
    /// Where a document is in its life. Expiry is not a stored state: a document is expired when
    /// today is past its validity (see `certificate::Certificate::status_on`).
    CertificateState, "证件状态", "待审核、已退回、不予批准、已发证、已作废、已注销、已撤回", {
        Applied = ("applied", "待审核", "waiting for review"),
        Returned = ("returned", "已退回补充", "returned for more information"),
        Rejected = ("rejected", "不予批准", "rejected"),
        Issued = ("issued", "已发证", "issued"),
        Voided = ("voided", "已作废（已补发）", "void (reissued)"),
        Revoked = ("revoked", "已注销", "revoked"),
        // Withdrawn: the applicant took the application back before it was decided.
        Withdrawn = ("withdrawn", "已撤回", "withdrawn"),
    }
}
