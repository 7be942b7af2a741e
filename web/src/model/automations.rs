//! Automations as the pages show them: the API paths, a trigger in words, whether one is
//! enabled or paused and when it runs next, a run's words, the run history's pages, and the
//! secret that is shown once (after creating an automation or rotating its secret).

use oi_protocol::automations::{
    Automation, AutomationRun, AutomationWithSecret, RunList, RunStatus, Trigger, TriggerKind,
};

use super::format;
use super::repo_picker::segment;

/// `GET` and `POST /api/automations`
pub const LIST_PATH: &str = "/api/automations";
/// How many runs a page of the history holds.
pub const RUNS_PAGE: u32 = 20;

/// `GET`, `PATCH` and `DELETE /api/automations/:id`
pub fn automation_path(id: &str) -> String {
    format!("{LIST_PATH}/{}", segment(id))
}

/// `POST /api/automations/:id/<action>`: `pause`, `resume`, `secret`, `runs`.
pub fn action_path(id: &str, action: &str) -> String {
    format!("{}/{action}", automation_path(id))
}

/// `GET /api/automations/:id/runs?limit=&cursor=`
pub fn runs_path(id: &str, limit: u32, cursor: Option<&str>) -> String {
    let limit = limit.to_string();
    let mut query = vec![("limit", limit.as_str())];
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor));
    }
    format!("{}?{}", action_path(id, "runs"), serde_urlencoded::to_string(query).unwrap_or_default())
}

/// The page of an automation in this app.
pub fn page_path(id: &str) -> String {
    format!("/automations/{}", segment(id))
}

/// A trigger in words: `Every day at 09:00 (UTC)`, `Webhook`, `Sentry: proj-a, proj-b`.
pub fn trigger_summary(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Schedule { cron, timezone } => schedule_summary(cron, timezone),
        Trigger::Webhook { filter: Some(f), .. } if !f.trim().is_empty() => "Webhook (filtered)".to_string(),
        Trigger::Webhook { .. } => "Webhook".to_string(),
        Trigger::Sentry { projects } if projects.is_empty() => "Sentry: any project".to_string(),
        Trigger::Sentry { projects } => format!("Sentry: {}", projects.join(", ")),
    }
}

/// A schedule in words when it is a common one, else its cron expression; with its time zone.
pub fn schedule_summary(cron: &str, timezone: &str) -> String {
    let timezone = if timezone.trim().is_empty() { "UTC" } else { timezone.trim() };
    let words =
        cron_words(cron).unwrap_or_else(|| format!("Cron {}", cron.split_whitespace().collect::<Vec<_>>().join(" ")));
    format!("{words} ({timezone})")
}

const DAYS: [&str; 8] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// The common five-field patterns in words; `None` for anything else.
fn cron_words(cron: &str) -> Option<String> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = fields.as_slice() else {
        return None;
    };
    let number = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| *n <= max);
    let every = |s: &&str| *s == "*";
    if [hour, day, month, weekday].iter().all(|f| every(f)) {
        if let Some(n) = minute.strip_prefix("*/").and_then(|n| number(n, 59)).filter(|n| *n > 0) {
            return Some(format!("Every {n} minutes"));
        }
        return number(minute, 59).map(|m| format!("Every hour at :{m:02}"));
    }
    let at = format!("{:02}:{:02}", number(hour, 23)?, number(minute, 59)?);
    if !every(month) {
        return None;
    }
    match (every(day), every(weekday)) {
        (true, true) => Some(format!("Every day at {at}")),
        (true, false) if *weekday == "1-5" => Some(format!("Weekdays at {at}")),
        (true, false) => number(weekday, 7).map(|d| format!("Every {} at {at}", DAYS[d as usize])),
        (false, true) => number(day, 31).filter(|d| *d > 0).map(|d| format!("Monthly on day {d} at {at}")),
        (false, false) => None,
    }
}

/// Whether an automation starts runs on its own: words, tone (a badge class) and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateView {
    /// `enabled` or `paused` (for tests and styles).
    pub state: &'static str,
    pub label: &'static str,
    pub tone: &'static str,
    /// Why it paused itself, if it did.
    pub reason: Option<String>,
}

pub fn state(automation: &Automation) -> StateView {
    if automation.enabled {
        StateView { state: "enabled", label: "Enabled", tone: "ok", reason: None }
    } else {
        let reason = automation.paused_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
        StateView { state: "paused", label: "Paused", tone: "warn", reason }
    }
}

/// A schedule's next run, while it is enabled: `2026-11-23 09:00 UTC (in 3 h)`.
pub fn next_run(automation: &Automation, now: i64) -> Option<String> {
    if !automation.enabled || automation.trigger.kind() != TriggerKind::Schedule {
        return None;
    }
    automation.next_run_at.map(|at| format!("{} ({})", format::date_time(at), format::until(now, at)))
}

/// What started a run.
pub fn run_trigger_label(kind: TriggerKind) -> &'static str {
    match kind {
        TriggerKind::Schedule => "Schedule",
        TriggerKind::Webhook => "Webhook",
        TriggerKind::Sentry => "Sentry",
        TriggerKind::Manual => "Run now",
    }
}

pub fn run_status_label(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "Running",
        RunStatus::Succeeded => "Succeeded",
        RunStatus::Failed => "Failed",
        RunStatus::Skipped => "Skipped",
    }
}

/// The badge class of a run's status.
pub fn run_status_tone(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "busy",
        RunStatus::Succeeded => "ok",
        RunStatus::Failed => "bad",
        RunStatus::Skipped => "neutral",
    }
}

/// The runs shown: the newest page, and the older pages asked for, newest first and each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunPages {
    pub runs: Vec<AutomationRun>,
    /// Where the next older page starts; `None`: there is none.
    pub next_cursor: Option<String>,
    /// How many pages were loaded (0: none yet).
    pub pages: u32,
}

impl RunPages {
    /// The newest page, on opening the page or refreshing it: new and changed runs replace
    /// theirs; older pages already loaded stay, and so does where the next one starts.
    pub fn newest(&mut self, page: RunList) {
        let older_loaded = self.pages > 1;
        let mut runs = page.runs;
        for run in self.runs.drain(..) {
            if older_loaded && !runs.iter().any(|r| r.id == run.id) {
                runs.push(run);
            }
        }
        runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        self.runs = runs;
        if !older_loaded {
            self.next_cursor = page.next_cursor;
            self.pages = 1;
        }
    }

    /// An older page, after the runs shown.
    pub fn older(&mut self, page: RunList) {
        for run in page.runs {
            if !self.runs.iter().any(|r| r.id == run.id) {
                self.runs.push(run);
            }
        }
        self.next_cursor = page.next_cursor;
        self.pages += 1;
    }

    pub fn has_older(&self) -> bool {
        self.next_cursor.is_some()
    }

    /// Whether a run is still going (the page then keeps asking).
    pub fn any_running(&self) -> bool {
        self.runs.iter().any(|r| r.status == RunStatus::Running)
    }
}

/// The webhook URL people give the sender: this deployment's origin and the automation's path.
pub fn webhook_url(origin: &str, path: &str) -> String {
    format!("{}{path}", origin.trim_end_matches('/'))
}

/// The secret, and where to deliver, as shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reveal {
    pub secret: String,
    /// For a webhook trigger.
    pub webhook_url: Option<String>,
}

impl Reveal {
    pub fn new(created: &AutomationWithSecret, origin: &str) -> Self {
        Self {
            secret: created.secret.clone(),
            webhook_url: created.automation.webhook_path.as_deref().map(|path| webhook_url(origin, path)),
        }
    }
}

/// Said next to the secret.
pub const SHOWN_ONCE: &str =
    "Copy the secret now: it is not shown again. Rotate it to get a new one (the old one then stops working).";

/// A secret just received, handed from the page that received it (the new-automation form) to
/// the page that shows it (the automation's), once: taking it empties it, and a secret that
/// is not for the automation asking is dropped rather than kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FreshSecret {
    pending: Option<(String, Reveal)>,
}

impl FreshSecret {
    pub fn put(&mut self, automation_id: &str, reveal: Reveal) {
        self.pending = Some((automation_id.to_string(), reveal));
    }

    pub fn take(&mut self, automation_id: &str) -> Option<Reveal> {
        match self.pending.take() {
            Some((id, reveal)) if id == automation_id => Some(reveal),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::automation;
    use std::collections::BTreeMap;

    fn schedule(cron: &str, timezone: &str) -> Trigger {
        Trigger::Schedule { cron: cron.into(), timezone: timezone.into() }
    }

    fn run(id: &str, created_at: i64, status: RunStatus) -> AutomationRun {
        AutomationRun {
            id: id.into(),
            automation_id: "aut_1".into(),
            trigger: TriggerKind::Manual,
            slot: None,
            key: None,
            status,
            reason: None,
            session_id: None,
            follow_up: false,
            created_at,
            finished_at: None,
        }
    }

    fn page(runs: Vec<AutomationRun>, next_cursor: Option<&str>) -> RunList {
        RunList { runs, next_cursor: next_cursor.map(String::from) }
    }

    #[test]
    fn paths_encode_the_id() {
        assert_eq!(automation_path("aut_1"), "/api/automations/aut_1");
        assert_eq!(action_path("aut_1", "pause"), "/api/automations/aut_1/pause");
        assert_eq!(automation_path("a/b"), "/api/automations/a%2Fb");
        assert_eq!(runs_path("aut_1", 20, None), "/api/automations/aut_1/runs?limit=20");
        assert_eq!(
            runs_path("aut_1", 20, Some("17.run_3&x")),
            "/api/automations/aut_1/runs?limit=20&cursor=17.run_3%26x"
        );
        assert_eq!(page_path("aut_1"), "/automations/aut_1");
    }

    #[test]
    fn triggers_in_words() {
        let cases = [
            (schedule("0 9 * * *", "Europe/Paris"), "Every day at 09:00 (Europe/Paris)"),
            (schedule(" 30  7 * * 1-5 ", "UTC"), "Weekdays at 07:30 (UTC)"),
            (schedule("0 8 * * 1", ""), "Every Monday at 08:00 (UTC)"),
            (schedule("0 8 * * 7", "UTC"), "Every Sunday at 08:00 (UTC)"),
            (schedule("15 * * * *", "UTC"), "Every hour at :15 (UTC)"),
            (schedule("*/30 * * * *", "UTC"), "Every 30 minutes (UTC)"),
            (schedule("0 6 1 * *", "Asia/Tokyo"), "Monthly on day 1 at 06:00 (Asia/Tokyo)"),
            (schedule("0 9 * 1 *", "UTC"), "Cron 0 9 * 1 * (UTC)"),
            (schedule("0 9-17 * * *", "UTC"), "Cron 0 9-17 * * * (UTC)"),
            (schedule("0 25 * * *", "UTC"), "Cron 0 25 * * * (UTC)"),
            (schedule("0 9 1 * 1", "UTC"), "Cron 0 9 1 * 1 (UTC)"),
            (schedule("@daily", "UTC"), "Cron @daily (UTC)"),
            (Trigger::Webhook { filter: None, variables: BTreeMap::new(), idempotency_key: None }, "Webhook"),
            (
                Trigger::Webhook {
                    filter: Some("$[?(@.a)]".into()),
                    variables: BTreeMap::new(),
                    idempotency_key: None,
                },
                "Webhook (filtered)",
            ),
            (Trigger::Sentry { projects: vec!["proj-a".into(), "proj-b".into()] }, "Sentry: proj-a, proj-b"),
            (Trigger::Sentry { projects: vec![] }, "Sentry: any project"),
        ];
        for (trigger, words) in cases {
            assert_eq!(trigger_summary(&trigger), words, "{trigger:?}");
        }
    }

    #[test]
    fn enabled_paused_and_the_next_run() {
        let mut a = automation(schedule("0 9 * * *", "UTC"));
        assert_eq!(state(&a).state, "enabled");
        a.next_run_at = Some(1_795_455_544_882);
        assert_eq!(next_run(&a, 1_795_455_544_882 - 3 * 3_600_000).as_deref(), Some("2026-11-23 17:39 UTC (in 3 h)"));
        a.enabled = false;
        a.paused_reason = Some("3 failed runs in a row".into());
        let paused = state(&a);
        assert_eq!((paused.state, paused.label, paused.tone), ("paused", "Paused", "warn"));
        assert_eq!(paused.reason.as_deref(), Some("3 failed runs in a row"));
        assert_eq!(next_run(&a, 0), None, "paused: no next run");
        a.paused_reason = Some(" ".into());
        assert_eq!(state(&a).reason, None);
        let mut hook = automation(Trigger::Sentry { projects: vec![] });
        hook.next_run_at = Some(5);
        assert_eq!(next_run(&hook, 0), None, "only schedules");
    }

    #[test]
    fn runs_in_words() {
        assert_eq!(run_trigger_label(TriggerKind::Manual), "Run now");
        assert_eq!(run_trigger_label(TriggerKind::Schedule), "Schedule");
        assert_eq!((run_status_label(RunStatus::Running), run_status_tone(RunStatus::Running)), ("Running", "busy"));
        assert_eq!((run_status_label(RunStatus::Failed), run_status_tone(RunStatus::Failed)), ("Failed", "bad"));
        assert_eq!(run_status_tone(RunStatus::Skipped), "neutral");
    }

    #[test]
    fn run_pages_refresh_and_grow_older() {
        let mut pages = RunPages::default();
        assert!(!pages.has_older() && pages.pages == 0);
        pages.newest(page(vec![run("run_3", 30, RunStatus::Running), run("run_2", 20, RunStatus::Failed)], Some("c2")));
        assert!(pages.has_older() && pages.any_running());
        pages.older(page(vec![run("run_2", 20, RunStatus::Failed), run("run_1", 10, RunStatus::Succeeded)], None));
        let ids = |p: &RunPages| p.runs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&pages), ["run_3", "run_2", "run_1"], "each run once");
        assert!(!pages.has_older());
        assert_eq!(pages.pages, 2);

        // A refresh: a new run and run_3 done; the older page stays, and so does its cursor.
        pages.newest(page(
            vec![run("run_4", 40, RunStatus::Running), run("run_3", 30, RunStatus::Succeeded)],
            Some("c3"),
        ));
        assert_eq!(ids(&pages), ["run_4", "run_3", "run_2", "run_1"]);
        assert_eq!(pages.runs[1].status, RunStatus::Succeeded);
        assert!(!pages.has_older(), "the last page was loaded already");

        // With only the newest page loaded, a refresh replaces it, cursor and all.
        let mut one = RunPages::default();
        one.newest(page(vec![run("run_1", 10, RunStatus::Running)], None));
        one.newest(page(vec![run("run_2", 20, RunStatus::Running)], Some("c1")));
        assert_eq!(ids(&one), ["run_2"]);
        assert_eq!(one.next_cursor.as_deref(), Some("c1"));
        assert_eq!(one.pages, 1);
    }

    #[test]
    fn the_secret_is_shown_once() {
        let mut hook = automation(Trigger::Webhook { filter: None, variables: BTreeMap::new(), idempotency_key: None });
        hook.webhook_path = Some("/api/automations/aut_1/webhook".into());
        let created = AutomationWithSecret { automation: hook, secret: "whsec_1".into() };
        let reveal = Reveal::new(&created, "https://oi.example/");
        assert_eq!(reveal.webhook_url.as_deref(), Some("https://oi.example/api/automations/aut_1/webhook"));
        assert_eq!(reveal.secret, "whsec_1");
        let scheduled =
            AutomationWithSecret { automation: automation(schedule("0 9 * * *", "UTC")), secret: "s".into() };
        assert_eq!(Reveal::new(&scheduled, "http://127.0.0.1:8787").webhook_url, None);

        let mut fresh = FreshSecret::default();
        fresh.put("aut_1", reveal.clone());
        assert_eq!(fresh.take("aut_1"), Some(reveal.clone()));
        assert_eq!(fresh.take("aut_1"), None, "taken: gone");
        fresh.put("aut_1", reveal);
        assert_eq!(fresh.take("aut_2"), None, "another automation's page");
        assert_eq!(fresh.take("aut_1"), None, "and it was dropped, not kept");
    }
}
