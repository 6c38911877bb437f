//! `--option [PROTOCOL.]NAME=VALUE`: a protocol's own setting from the
//! command line (HTTP's `send_headers`), over the config file's.

use analyzer_core::Config;

use crate::analyzer::Registration;

/// Sets each `--option` flag in the configuration of the protocols it is
/// for: the one it names, else every enabled protocol taking that option.
/// `VALUE` is YAML (`true`, `1024`, `[Host, Accept]`, a word), checked by
/// the protocol. `Err`: what is wrong, for the usage message.
pub fn apply(flags: &[String], chosen: &mut [(Registration, Config)]) -> Result<(), String> {
    for flag in flags {
        let Some((key, text)) = flag.split_once('=') else {
            return Err(format!(
                "--option `{flag}`: give NAME=VALUE or PROTOCOL.NAME=VALUE"
            ));
        };
        let (protocol, name) = match key.split_once('.') {
            Some((protocol, name)) => (Some(protocol), name),
            None => (None, key),
        };
        let value: serde_json::Value = serde_norway::from_str(text)
            .map_err(|err| format!("--option {key}: `{text}` is not a YAML value: {err}"))?;
        let mut taken = false;
        for (registration, config) in chosen.iter_mut() {
            if protocol.is_some_and(|p| p != registration.name) {
                continue;
            }
            if !registration.options.contains(&name) {
                if protocol.is_some() {
                    return Err(unknown(name, registration));
                }
                continue;
            }
            registration
                .check_option(name, &value)
                .map_err(|what| format!("--option {key}: `{name}` takes {what}"))?;
            let mut options: serde_json::Map<String, serde_json::Value> = config
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            options.insert(name.to_owned(), value.clone());
            config.options = options.into();
            taken = true;
        }
        if !taken {
            return Err(match protocol {
                Some(p) => format!("--option {key}: protocol `{p}` is not analyzed"),
                None => {
                    let takes: Vec<String> = chosen
                        .iter()
                        .flat_map(|(r, _)| r.options.iter().map(|o| format!("{}.{o}", r.name)))
                        .collect();
                    match takes.is_empty() {
                        true => format!("--option {key}: no protocol analyzed takes options"),
                        false => format!(
                            "--option {key}: no protocol analyzed takes `{name}`; options: {}",
                            takes.join(", ")
                        ),
                    }
                }
            });
        }
    }
    Ok(())
}

fn unknown(name: &str, registration: &Registration) -> String {
    match registration.options {
        [] => format!(
            "--option {}.{name}: {} takes no options",
            registration.name, registration.name
        ),
        options => format!(
            "--option {}.{name}: {} takes {}",
            registration.name,
            registration.name,
            options.join(", ")
        ),
    }
}
