//! The aggregator on PostgreSQL over HTTP: a kiosk enrolls and its answers are stored, on a
//! fresh database of the throwaway PostgreSQL (`App::spawn_on_postgres`).

use crate::cli::kiosk_with_answers;
use crate::support::app::{App, now_ms};
use model::StandardId;

#[tokio::test]
async fn a_kiosk_enrolls_and_its_answers_are_stored_on_postgres() {
    let app = App::spawn_on_postgres(|_| {}).await;
    app.add_department("plock", "wso", "Wydział Spraw Obywatelskich")
        .await;
    app.add_desk(
        ("plock", "wso", "plock-wso-01"),
        None,
        &[StandardId::IV],
        &["pl"],
    )
    .await;
    let code = sync_server::credentials::new_enrollment_code();
    app.storage
        .add_enrollment_code(
            sync_server::credentials::code_hash(&code),
            "plock-wso-01".parse().expect("desk"),
            now_ms(),
            now_ms() + 60_000,
        )
        .await
        .expect("code");

    kiosk_with_answers(&app.origin(), &code, "plock-wso-01", 5).await;

    assert_eq!(app.storage.answer_count().await.expect("count"), 5);
    assert!(
        app.database.as_os_str().is_empty() && app.postgres.is_some(),
        "on PostgreSQL, no SQLite file"
    );
    let rollups = app
        .storage
        .rollups("plock-wso-01".parse().expect("desk"))
        .await
        .expect("rollups");
    let counted: i64 = rollups.iter().map(|r| r.scores.iter().sum::<i64>()).sum();
    assert_eq!(counted, 5, "the rollups count every stored answer");
}
