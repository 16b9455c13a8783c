//! `plainsight keys …`: API keys in the system keychain (set from stdin, shown masked, deleted,
//! tested with the cheapest real call).

use anyhow::{bail, Context, Result};
use plainsight_core::llm::provider as llm;
use plainsight_core::secrets::{self, KeyName, SecretStore};

use crate::args::KeysAction;

fn key_name(name: &str) -> Result<KeyName> {
    KeyName::parse(name).with_context(|| {
        format!("{name:?} is not a key name; use perplexity, openai, embeddings, daytona, langfuse-public, langfuse-secret, postgres:<connection> or mysql:<connection>")
    })
}

/// `plainsight keys …`: the keychain, never a file. Secrets come from stdin and are never printed.
pub(crate) fn keys(action: KeysAction) -> Result<()> {
    let store = secrets::Keychain;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match action {
        KeysAction::Set { name } => {
            let name = key_name(&name)?;
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut input)
                .context("could not read the key from stdin")?;
            let secret =
                secrets::clean(&input).context("no key was given on stdin; pipe it in, e.g. `pbpaste | plainsight keys set perplexity`")?;
            store.set(&name, &secret)?;
            println!(
                "Saved the {} ({}) in the system keychain.",
                name.label(),
                secret.masked()
            );
        }
        KeysAction::GetMasked { name } => {
            let name = key_name(&name)?;
            match secrets::lookup(&store, &name, &env)? {
                Some((secret, secrets::Origin::Keychain)) => println!("{}", secret.masked()),
                Some((secret, secrets::Origin::Environment(var))) => {
                    println!("{} (from the environment variable {var})", secret.masked());
                }
                None => println!("There is no {} yet.", name.label()),
            }
        }
        KeysAction::Delete { name } => {
            let name = key_name(&name)?;
            if store.delete(&name)? {
                println!("Deleted the {} from the system keychain.", name.label());
            } else {
                println!("There was no {} in the system keychain.", name.label());
            }
        }
        KeysAction::Test { name, base_url } => {
            let name = key_name(&name)?;
            let kind = match name {
                KeyName::Perplexity => llm::ProviderKind::Perplexity,
                KeyName::OpenAi => llm::ProviderKind::OpenAi,
                other => bail!(
                    "testing the {} arrives with the feature that uses it",
                    other.label()
                ),
            };
            let mut config = llm::ProviderConfig::new(kind);
            if let Some(base) = base_url {
                config.base_url = base.trim_end_matches('/').to_string();
            }
            config.max_retries = 0;
            config.api_key = secrets::lookup(&store, &name, &env)?.map(|(s, _)| s);
            let checked = llm::HttpProvider::new(config)?.check()?;
            println!("{checked}");
        }
    }
    Ok(())
}
