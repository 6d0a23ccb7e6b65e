//! The demo's clients, day by day and desk by desk: how many come (busier mornings and Mondays,
//! fewer in the summer holidays), what they answer (as the kiosk's visit flow records it), and
//! when each kiosk synced. Pure and seeded: the same seed gives the same records.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};
use model::{
    Answer, Catalogue, InputKind, LanguageTag, Question, Rateability, RatingRecord, RecordId,
    RecordedTime, Score, StandardId, VisitId,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::calendar::{utc_ms_to_warsaw, warsaw_to_utc_ms};
use super::layout::{Department, DeskPlan};

/// A desk whose clients are clearly less satisfied throughout.
pub const WEAK_DESK: &str = "gostynin-wso-02";
/// A desk whose satisfaction falls over the last two weeks, so an alert would fire.
pub const FALLING_DESK: &str = "plock-kom-02";
/// A standard that dips for one calendar month (the lift was out of order).
pub const DIPPING_STANDARD: StandardId = StandardId::VIII;

const MINUTE_MS: i64 = 60_000;
const SECOND_MS: i64 = 1_000;

/// What the demo covers: the local days from `first_day` to `last_day`, nothing after `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub seed: u64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub now_ms: i64,
}

impl Period {
    /// The `days` local days ending with today (in Warsaw) at `now_ms`.
    pub fn ending_at(now_ms: i64, days: u32, seed: u64) -> Period {
        let last_day = utc_ms_to_warsaw(now_ms).map_or(NaiveDate::MIN, |t| t.date());
        let first_day = last_day - chrono::Duration::days(i64::from(days.max(1)) - 1);
        Period {
            seed,
            first_day,
            last_day,
            now_ms,
        }
    }

    /// The calendar month in which [`DIPPING_STANDARD`] dips: the one about six weeks back.
    pub fn dip_month(&self) -> (i32, u32) {
        let day = self.last_day - chrono::Duration::days(45);
        (day.year(), day.month())
    }

    /// Every local day of the period, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.first_day
            .iter_days()
            .take_while(|day| *day <= self.last_day)
            .collect()
    }
}

/// One boot of a kiosk: kiosks restart every night and come up at 5:00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boot {
    pub id: String,
    pub started_ms: i64,
}

impl Boot {
    /// The boot of desk number `desk` on `date`.
    pub fn of(seed: u64, desk: usize, date: NaiveDate) -> Boot {
        let mut rng = rng_for(seed, desk, date, 1);
        Boot {
            id: uuid(&mut rng).to_string(),
            started_ms: warsaw_to_utc_ms(date, time(5, 0)),
        }
    }

    /// The boot running at `utc_ms`.
    pub fn at(seed: u64, desk: usize, utc_ms: i64) -> Boot {
        let local = utc_ms_to_warsaw(utc_ms).unwrap_or_default();
        let date = if local.hour() < 5 {
            local.date() - chrono::Duration::days(1)
        } else {
            local.date()
        };
        Boot::of(seed, desk, date)
    }

    /// The kiosk's clocks at `utc_ms` in this boot, NTP-synchronised.
    pub fn reading(&self, utc_ms: i64) -> RecordedTime {
        RecordedTime {
            wall_clock_ms: utc_ms,
            boot_id: self.id.clone(),
            boottime_ns: u64::try_from(utc_ms - self.started_ms).unwrap_or(0) * 1_000_000,
            clock_synchronized: true,
        }
    }
}

/// What one kiosk recorded on one day, and when it sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskDay {
    pub date: NaiveDate,
    pub records: Vec<RatingRecord>,
    /// The kiosk's clocks when it sent them.
    pub sent: RecordedTime,
    /// When the server received them.
    pub received_ms: i64,
}

/// Generates one desk's days in order, numbering its records as the kiosk does.
#[derive(Debug, Clone)]
pub struct DeskVisits {
    index: usize,
    department: &'static Department,
    desk: &'static DeskPlan,
    next_sequence: u64,
}

impl DeskVisits {
    /// Desk number `index` of the demo's layout.
    pub fn new(index: usize, department: &'static Department, desk: &'static DeskPlan) -> Self {
        DeskVisits {
            index,
            department,
            desk,
            next_sequence: 1,
        }
    }

    /// The kiosk's records of `date` (none when the office is closed), cut at `period.now_ms`.
    pub fn day(&mut self, period: &Period, date: NaiveDate) -> Option<KioskDay> {
        let hours = self.department.hours().on(date)?;
        let opens_ms = warsaw_to_utc_ms(date, hours.opens);
        let closes_ms = warsaw_to_utc_ms(date, hours.closes);
        let latest_ms = period.now_ms - MINUTE_MS;
        if opens_ms > latest_ms {
            return None;
        }
        let mut rng = rng_for(period.seed, self.index, date, 0);
        let boot = Boot::of(period.seed, self.index, date);
        let count = self.visit_count(&mut rng, date);
        // A visit lasts under two minutes, so every answer is given before closing time.
        let last_start_ms = closes_ms - 5 * MINUTE_MS;
        let mut starts: Vec<i64> = (0..count)
            .map(|_| visit_start(&mut rng, opens_ms, last_start_ms))
            .collect();
        starts.sort_unstable();
        let mut records = Vec::new();
        let mut free_from = opens_ms;
        let quality = self.quality(period, date);
        for start in starts {
            // One client at a time: a visit begins after the previous one has ended.
            let start = start.max(free_from);
            if start > last_start_ms || start > latest_ms {
                break;
            }
            let visit = self.visit(&mut rng, period, date, quality, start, &boot);
            free_from = visit.last().map_or(start, |r| r.recorded.wall_clock_ms) + 60 * SECOND_MS;
            records.extend(visit);
        }
        records.retain(|r| r.recorded.wall_clock_ms <= latest_ms);
        let sync_ms = (closes_ms + 10 * MINUTE_MS + rng.random_range(0..5 * MINUTE_MS))
            .min(period.now_ms - 10 * SECOND_MS);
        let latency_ms = rng.random_range(40..250);
        Some(KioskDay {
            date,
            records,
            sent: boot.reading(sync_ms - latency_ms),
            received_ms: sync_ms,
        })
    }

    /// Visits on `date`: the desk's usual number, more on Mondays, fewer on Fridays and in the
    /// summer holidays, give or take a fifth.
    fn visit_count(&self, rng: &mut StdRng, date: NaiveDate) -> u32 {
        let weekday = match date.weekday() {
            Weekday::Mon => 1.3,
            Weekday::Fri => 0.8,
            Weekday::Thu => 0.95,
            _ => 1.0,
        };
        let season = if matches!(date.month(), 7 | 8) {
            0.65
        } else {
            1.0
        };
        let noise = rng.random_range(0.8..1.2);
        let count = f64::from(self.desk.visits_per_day) * weekday * season * noise;
        count.round() as u32
    }

    /// How well this desk serves on `date`: 0 is usual, negative is worse.
    fn quality(&self, period: &Period, date: NaiveDate) -> f64 {
        let mut rng = rng_for(period.seed, self.index, NaiveDate::MIN, 2);
        let mut quality = rng.random_range(-0.15..0.25);
        if self.desk.id == WEAK_DESK {
            quality -= 0.8;
        }
        if self.desk.id == FALLING_DESK {
            let days_left = (period.last_day - date).num_days() as f64;
            quality -= 1.3 * ((14.0 - days_left) / 14.0).clamp(0.0, 1.0);
        }
        quality
    }

    /// One client's visit from `start`: the overall rating, sometimes changed, and for some the
    /// desk's standards with reasons after a low score, as the kiosk's flow stores them.
    fn visit(
        &mut self,
        rng: &mut StdRng,
        period: &Period,
        date: NaiveDate,
        quality: f64,
        start: i64,
        boot: &Boot,
    ) -> Vec<RatingRecord> {
        let client = Client {
            visit_id: VisitId::from(uuid(rng)),
            language: language(rng, self.desk.languages),
            larger_text: rng.random_bool(0.08),
            input: if rng.random_bool(0.85) {
                InputKind::Touch
            } else {
                InputKind::Button
            },
            experience: quality + normal(rng) * 0.7,
        };
        let mut at = start;
        let mut records = Vec::new();
        let first = score(3.35 + client.experience + normal(rng) * 0.35);
        records.push(self.record(rng, &client, Question::Overall, first.into(), at, boot));
        if rng.random_bool(0.04) {
            at += rng.random_range(3 * SECOND_MS..9 * SECOND_MS);
            let changed = score(3.35 + client.experience + normal(rng) * 0.6);
            let mut correction =
                self.record(rng, &client, Question::Overall, changed.into(), at, boot);
            correction.supersedes = Some(records[0].id);
            records.push(correction);
        }
        if !rng.random_bool(0.4) {
            return records;
        }
        let wanted = match rng.random_range(0..10) {
            0..5 => 1,
            5..8 => 2,
            _ => 3,
        };
        let catalogue = Catalogue::ordinance_4216_2018();
        let asked = self
            .desk
            .standards
            .iter()
            .copied()
            .filter(|&id| match catalogue.standard(id).rateability {
                Rateability::Clients => true,
                Rateability::ForeignLanguageClients => !client.language.is_polish(),
                Rateability::InternalServiceDesks => self.desk.internal_service,
                Rateability::Never => false,
            })
            .take(wanted);
        for standard in asked.collect::<Vec<_>>() {
            at += rng.random_range(6 * SECOND_MS..16 * SECOND_MS);
            if catalogue.standard(standard).may_not_apply
                && rng.random_bool(not_applicable_chance(standard))
            {
                let question = Question::Standard(standard);
                records.push(self.record(rng, &client, question, Answer::NotApplicable, at, boot));
                continue;
            }
            let effect = standard_effect(period, standard, date);
            let given = score(3.35 + client.experience + effect + normal(rng) * 0.45);
            let question = Question::Standard(standard);
            let scored = self.record(rng, &client, question, given.into(), at, boot);
            let scored_id = scored.id;
            records.push(scored);
            let reasons = catalogue.standard(standard).reasons;
            if given.is_low() && !reasons.is_empty() && rng.random_bool(0.6) {
                at += rng.random_range(5 * SECOND_MS..14 * SECOND_MS);
                let first = rng.random_range(0..reasons.len());
                let mut chosen = vec![reasons[first].reason_code()];
                if rng.random_bool(0.3) {
                    let second = (first + rng.random_range(1..reasons.len())) % reasons.len();
                    chosen.push(reasons[second].reason_code());
                }
                let mut with_reasons = self.record(rng, &client, question, given.into(), at, boot);
                with_reasons.reasons = chosen;
                with_reasons.supersedes = Some(scored_id);
                records.push(with_reasons);
            }
        }
        records
    }

    fn record(
        &mut self,
        rng: &mut StdRng,
        client: &Client,
        question: Question,
        answer: Answer,
        at: i64,
        boot: &Boot,
    ) -> RatingRecord {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        RatingRecord {
            id: RecordId::from(uuid(rng)),
            visit_id: client.visit_id,
            sequence,
            desk_id: self
                .desk
                .id
                .parse()
                .unwrap_or_else(|e| panic!("the demo layout holds an invalid desk id: {e}")),
            question,
            answer,
            reasons: Vec::new(),
            language: client.language.clone(),
            larger_text: client.larger_text,
            input: client.input,
            supersedes: None,
            recorded: boot.reading(at),
        }
    }
}

/// Who is at the kiosk during one visit.
struct Client {
    visit_id: VisitId,
    language: LanguageTag,
    larger_text: bool,
    input: InputKind,
    /// How the visit went, 0 usual; every answer of the visit leans the same way.
    experience: f64,
}

/// How a standard usually fares against the visit as a whole, and its dip.
fn standard_effect(period: &Period, standard: StandardId, date: NaiveDate) -> f64 {
    let usual = match standard {
        StandardId::II | StandardId::III => 0.2,
        StandardId::V | StandardId::VI => -0.25,
        StandardId::XIII => -0.1,
        _ => 0.0,
    };
    let dipping = standard == DIPPING_STANDARD && (date.year(), date.month()) == period.dip_month();
    if dipping { usual - 0.9 } else { usual }
}

/// How often a standard's question does not apply to a visit: most clients never phoned or
/// wrote, few had a refusal or complaint, and few come on business or with a tax matter. Only
/// the questions that offer "does not apply" (`Standard::may_not_apply`) are asked.
fn not_applicable_chance(standard: StandardId) -> f64 {
    match standard {
        StandardId::V | StandardId::VI => 0.4,
        StandardId::VII => 0.6,
        StandardId::XII => 0.3,
        StandardId::XIII => 0.5,
        _ => 0.0,
    }
}

/// The face a client picks for a feeling of `x` (about 1 to 4).
fn score(x: f64) -> Score {
    if x < 1.5 {
        Score::VERY_BAD
    } else if x < 2.5 {
        Score::BAD
    } else if x < 3.5 {
        Score::GOOD
    } else {
        Score::VERY_GOOD
    }
}

/// The language a client chooses among those the desk offers: mostly Polish, then Ukrainian,
/// English and German.
fn language(rng: &mut StdRng, offered: &[&str]) -> LanguageTag {
    let weights = [("pl", 86), ("uk", 8), ("en", 4), ("de", 2)];
    let available: Vec<(&str, u32)> = weights
        .into_iter()
        .filter(|(tag, _)| offered.contains(tag))
        .collect();
    let total: u32 = available.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (tag, weight) in &available {
        if pick < *weight {
            return tag.parse().unwrap_or_else(|_| LanguageTag::polish());
        }
        pick -= weight;
    }
    LanguageTag::polish()
}

/// A visit's start between `opens_ms` and `closes_ms`, more likely in the morning.
fn visit_start(rng: &mut StdRng, opens_ms: i64, closes_ms: i64) -> i64 {
    loop {
        let at = rng.random_range(opens_ms..closes_ms);
        let hour = utc_ms_to_warsaw(at).map_or(12, |t| t.hour());
        let busy = match hour {
            ..=7 => 0.5,
            8 => 0.8,
            9..=11 => 1.0,
            12 => 0.8,
            13 | 14 => 0.6,
            _ => 0.45,
        };
        if rng.random_bool(busy) {
            return at;
        }
    }
}

/// A standard normal number (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn uuid(rng: &mut StdRng) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

fn time(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

/// The random stream for one desk, day and purpose, so each day can be generated on its own.
pub fn rng_for(seed: u64, desk: usize, date: NaiveDate, purpose: u64) -> StdRng {
    let mut mixed = seed;
    for part in [
        desk as u64,
        i64::from(date.num_days_from_ce()) as u64,
        purpose,
    ] {
        mixed = splitmix(mixed ^ part);
    }
    StdRng::seed_from_u64(mixed)
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::layout;

    fn period(seed: u64) -> Period {
        // Tuesday 24 November 2026, 20:00 in Warsaw.
        let now = warsaw_to_utc_ms("2026-11-24".parse().expect("date"), time(20, 0));
        Period::ending_at(now, 21, seed)
    }

    fn generate(period: &Period) -> Vec<KioskDay> {
        layout::desks()
            .enumerate()
            .flat_map(|(index, (department, desk))| {
                let mut visits = DeskVisits::new(index, department, desk);
                period
                    .days()
                    .into_iter()
                    .filter_map(|date| visits.day(period, date))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_records() {
        let first = generate(&period(7));
        assert_eq!(first, generate(&period(7)));
        assert_ne!(first, generate(&period(8)));
        assert!(first.iter().map(|d| d.records.len()).sum::<usize>() > 10_000);
    }

    #[test]
    fn reasons_always_belong_to_the_answers_standard() {
        let catalogue = Catalogue::ordinance_4216_2018();
        let mut with_reasons = 0;
        for record in generate(&period(3)).iter().flat_map(|d| &d.records) {
            if record.reasons.is_empty() {
                continue;
            }
            with_reasons += 1;
            let Question::Standard(id) = record.question else {
                panic!("reasons on the overall rating: {record:?}");
            };
            assert!(
                record.answer.score().is_some_and(Score::is_low),
                "reasons after a good score or on not applicable"
            );
            assert!(record.supersedes.is_some(), "reasons come as a correction");
            for reason in &record.reasons {
                assert!(
                    catalogue.standard(id).reason(reason.as_str()).is_some(),
                    "{reason} is not a reason of standard {id}"
                );
            }
        }
        assert!(
            with_reasons > 100,
            "only {with_reasons} answers with reasons"
        );
    }

    #[test]
    fn records_are_numbered_in_time_order_given_while_open_and_sent_afterwards() {
        for day in generate(&period(5)) {
            for record in &day.records {
                let local = utc_ms_to_warsaw(record.recorded.wall_clock_ms).expect("time");
                let office = layout::desks()
                    .find(|(_, desk)| desk.id == record.desk_id.as_str())
                    .map(|(department, _)| department.hours())
                    .expect("a demo desk");
                assert!(office.is_open_at(day.date, local.time()), "{local}");
                assert_eq!(local.date(), day.date);
            }
            for pair in day.records.windows(2) {
                assert!(pair[0].sequence < pair[1].sequence);
                assert!(pair[0].recorded.wall_clock_ms < pair[1].recorded.wall_clock_ms);
            }
            let last = day.records.last().map_or(0, |r| r.recorded.wall_clock_ms);
            assert!(last < day.sent.wall_clock_ms && day.sent.wall_clock_ms < day.received_ms);
        }
    }

    #[test]
    fn the_weak_and_the_falling_desk_score_lower() {
        let days = generate(&period(11));
        let csat = |desk: &str, recent: bool| {
            let overall: Vec<Score> = days
                .iter()
                .filter(|d| recent == (d.date >= "2026-11-17".parse().expect("date")))
                .flat_map(|d| &d.records)
                .filter(|r| r.desk_id.as_str() == desk && r.question == Question::Overall)
                .filter_map(|r| r.answer.score())
                .collect();
            overall.iter().filter(|s| !s.is_low()).count() as f64 / overall.len() as f64
        };
        assert!(csat(WEAK_DESK, false) < csat("gostynin-wso-01", false) - 0.15);
        assert!(csat(FALLING_DESK, true) < csat(FALLING_DESK, false) - 0.15);
    }

    #[test]
    fn boots_tie_the_wall_clock_to_boottime() {
        let boot = Boot::of(1, 2, "2026-03-30".parse().expect("date"));
        let reading = boot.reading(boot.started_ms + 3 * 3_600_000);
        assert_eq!(reading.boottime_ns, 3 * 3_600_000 * 1_000_000);
        assert_eq!(Boot::at(1, 2, boot.started_ms + 60_000), boot);
        assert_eq!(
            boot.started_ms,
            warsaw_to_utc_ms("2026-03-30".parse().expect("date"), time(5, 0))
        );
    }
}
