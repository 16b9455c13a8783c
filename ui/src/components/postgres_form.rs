//! "Add a database server": PostgreSQL or MariaDB/MySQL, where it is and who to connect as,
//! "Test connection" and "Add".

use leptos::prelude::*;
use plainsight_ipc::PostgresForm;

/// Which PostgreSQL operation is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgAction {
    Test,
    Add,
}

/// What the form holds; the page turns it into a [`PostgresForm`] for each operation.
#[derive(Debug, Clone, Copy)]
pub struct PgFields {
    /// MariaDB/MySQL rather than PostgreSQL.
    pub mysql: RwSignal<bool>,
    pub host: RwSignal<String>,
    pub port: RwSignal<String>,
    pub database: RwSignal<String>,
    pub user: RwSignal<String>,
    pub password: RwSignal<String>,
}

impl PgFields {
    pub fn new() -> Self {
        Self {
            mysql: RwSignal::new(false),
            host: RwSignal::new("127.0.0.1".into()),
            port: RwSignal::new("5432".into()),
            database: RwSignal::new(String::new()),
            user: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
        }
    }

    /// The form to send, or what is wrong with it in plain words.
    pub fn form(self) -> Result<PostgresForm, String> {
        let port = self.port.get_untracked();
        let port = port
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                let usual = if self.mysql.get_untracked() {
                    "MariaDB and MySQL usually use 3306"
                } else {
                    "PostgreSQL usually uses 5432"
                };
                format!(
                    "The port must be a number from 1 to 65535 ({usual}), not “{}”.",
                    port.trim()
                )
            })?;
        let password = self.password.get_untracked();
        Ok(PostgresForm {
            mysql: self.mysql.get_untracked(),
            host: self.host.get_untracked().trim().to_string(),
            port,
            database: self.database.get_untracked().trim().to_string(),
            user: self.user.get_untracked().trim().to_string(),
            password: (!password.is_empty()).then_some(password),
        })
    }
}

#[component]
pub fn PostgresConnect(
    fields: PgFields,
    #[prop(into)] running: Signal<Option<PgAction>>,
    #[prop(into)] on_test: Callback<()>,
    #[prop(into)] on_add: Callback<()>,
) -> impl IntoView {
    let busy = move || running.get().is_some();
    view! {
        <section class="card postgres" aria-labelledby="pg-title">
            <h2 id="pg-title">"Add a database server"</h2>
            <p class="muted">"Plainsight only reads from it. A user that may only read (SELECT) is the safest choice."</p>
            <div class="pg-grid">
                <div class="field">
                    <label for="pg-engine">"Kind"</label>
                    <select
                        id="pg-engine"
                        class="text-input"
                        on:change=move |ev| {
                            let mysql = event_target_value(&ev) == "mysql";
                            fields.mysql.set(mysql);
                            // Move the port along with the kind, unless the person changed it.
                            let port = fields.port.get_untracked();
                            if port == "5432" || port == "3306" {
                                fields.port.set(if mysql { "3306" } else { "5432" }.into());
                            }
                        }
                    >
                        <option value="postgres" selected=move || !fields.mysql.get()>"PostgreSQL"</option>
                        <option value="mysql" selected=move || fields.mysql.get()>"MariaDB or MySQL"</option>
                    </select>
                </div>
                <Field id="pg-host" label="Server" value=fields.host/>
                <Field id="pg-port" label="Port" value=fields.port input_type="text" mode="numeric"/>
                <Field id="pg-database" label="Database" value=fields.database/>
                <Field id="pg-user" label="User name" value=fields.user/>
                <Field id="pg-password" label="Password" value=fields.password input_type="password"/>
            </div>
            <p class="muted small">
                "The password is saved in your system keychain, never in a file."
            </p>
            <div class="pg-actions">
                <button id="pg-test" class="secondary" disabled=busy on:click=move |_| on_test.run(())>
                    {move || if running.get() == Some(PgAction::Test) { "Testing…" } else { "Test connection" }}
                </button>
                <button id="pg-add" class="primary" disabled=busy on:click=move |_| on_add.run(())>
                    {move || if running.get() == Some(PgAction::Add) { "Adding…" } else { "Add" }}
                </button>
            </div>
        </section>
    }
}

#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] mode: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type=input_type
                class="text-input"
                inputmode=mode
                autocomplete="off"
                spellcheck="false"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}
