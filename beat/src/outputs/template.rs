//! `beat setup --index-management`: the index template of the events'
//! fields, as `packetbeat setup --index-management` installs Packetbeat's:
//! a composable template (`PUT _index_template/<index>`, Elasticsearch
//! 7.8+) making `<index>` a data stream, with the ECS types of the fields
//! the events carry (addresses as `ip`, times as `date`, counts as `long`,
//! other strings as `keyword`).

use serde_json::{json, Value};

use super::elasticsearch::{agent, authorization, base_url, default_index};
use super::settings::ElasticsearchSettings;

/// The template for data stream `index`.
pub fn template(index: &str) -> Value {
    let keyword = json!({ "type": "keyword", "ignore_above": 1024 });
    let endpoint = json!({
        "properties": { "ip": { "type": "ip" }, "port": { "type": "long" }, "bytes": { "type": "long" } }
    });
    let event = json!({ "properties": {
        "kind": keyword, "category": keyword, "type": keyword,
        "dataset": keyword, "action": keyword, "outcome": keyword,
        "start": { "type": "date" }, "end": { "type": "date" },
        "duration": { "type": "long" }
    } });
    let network = json!({ "properties": {
        "transport": keyword, "protocol": keyword, "type": keyword,
        "direction": keyword, "community_id": keyword,
        "bytes": { "type": "long" }
    } });
    let agent = json!({ "properties": {
        "type": keyword, "name": keyword, "version": keyword,
        "id": keyword, "ephemeral_id": keyword
    } });
    let os = json!({ "properties": {
        "type": keyword, "family": keyword, "name": keyword,
        "platform": keyword, "version": keyword,
        "kernel": keyword, "codename": keyword
    } });
    let host = json!({ "properties": {
        "name": keyword, "hostname": keyword, "architecture": keyword,
        "ip": { "type": "ip" }, "mac": keyword, "os": os
    } });
    let properties = json!({
        "@timestamp": { "type": "date" },
        "type": keyword, "status": keyword,
        "method": keyword, "resource": keyword, "query": keyword,
        "request": { "type": "text" }, "response": { "type": "text" },
        "event": event,
        "source": endpoint, "destination": endpoint,
        "client": endpoint, "server": endpoint,
        "network": network,
        "related": { "properties": { "ip": { "type": "ip" } } },
        "error": { "properties": { "message": { "type": "match_only_text" } } },
        "ecs": { "properties": { "version": keyword } },
        "agent": agent,
        "host": host,
        "tags": keyword,
        "fields": { "type": "object", "dynamic": true }
    });
    json!({
        "index_patterns": [format!("{index}*")],
        "data_stream": {},
        "priority": 150,
        "template": {
            "settings": { "index": { "mapping": { "total_fields": { "limit": 10000 } } } },
            "mappings": {
                "dynamic_templates": [
                    { "strings_as_keyword": { "match_mapping_type": "string", "mapping": keyword } }
                ],
                "properties": properties
            }
        },
        "_meta": { "description": format!("events of {index}, by analyzer-beat") }
    })
}

/// Installs the template of `settings`' index on the first host that
/// answers; returns what was done, or why it failed.
pub fn install(settings: &ElasticsearchSettings, beat: &str) -> Result<String, String> {
    let index = settings
        .index
        .clone()
        .unwrap_or_else(|| default_index(beat));
    let agent = agent(settings)?;
    let body = template(&index).to_string();
    let mut errors = Vec::new();
    for host in &settings.hosts {
        let url = format!("{}/_index_template/{index}", base_url(host));
        let mut request = agent.put(&url).set("Content-Type", "application/json");
        if let Some(auth) = authorization(settings) {
            request = request.set("Authorization", &auth);
        }
        match request.send_string(&body) {
            Ok(_) => return Ok(format!("index template `{index}` installed on {host}")),
            Err(ureq::Error::Status(code, response)) => {
                let text = response.into_string().unwrap_or_default();
                let text: String = text.chars().take(300).collect();
                errors.push(format!("{host}: HTTP {code}: {text}"));
            }
            Err(err) => errors.push(format!("{host}: {err}")),
        }
    }
    Err(format!(
        "index template `{index}` not installed: {}",
        errors.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_makes_a_data_stream_with_ecs_types() {
        let t = template("beat-0.1.0");
        assert_eq!(t["index_patterns"], json!(["beat-0.1.0*"]));
        assert!(t["data_stream"].is_object());
        let p = &t["template"]["mappings"]["properties"];
        assert_eq!(p["source"]["properties"]["ip"]["type"], "ip");
        assert_eq!(p["event"]["properties"]["duration"]["type"], "long");
        assert_eq!(p["@timestamp"]["type"], "date");
        assert_eq!(p["network"]["properties"]["direction"]["type"], "keyword");
    }
}
