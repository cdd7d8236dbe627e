#!/usr/bin/env bash
# Write the local secrets the compose stack reads (docker/secrets/, git-ignored). Random values;
# an existing file is kept, so rerunning is safe. Rotate the webhook token by adding a second
# line to sre-remediator-token (sre serve accepts both), reloading Alertmanager, then removing
# the old line.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"
umask 077

random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
put() {  # put NAME VALUE: write once
  if [[ ! -s "$dir/$1" ]]; then printf '%s\n' "$2" >"$dir/$1"; echo "wrote secrets/$1"; fi
}

put sre-remediator-token "$(random)"
put sre-approver-oncall "$(random)"  # the approver "oncall": sre runs approve --token-file
put postgres-password "$(random)"
put marquez-db-password "$(random)"
put grafana-admin-password "$(random)"
# Placeholders: Alertmanager reads them only when it notifies Slack or PagerDuty.
put slack-webhook-url "https://hooks.slack.invalid/replace-me"
put pagerduty-routing-key "replace-me"

if [[ ! -s "$dir/s3-credentials" ]]; then
  key="potato-$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
  secret="$(random)"
  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$secret" \
    >"$dir/s3-credentials"
  cat >"$dir/seaweedfs-s3.json" <<JSON
{
  "identities": [
    {
      "name": "potato",
      "credentials": [{"accessKey": "$key", "secretKey": "$secret"}],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
JSON
  echo "wrote secrets/s3-credentials and secrets/seaweedfs-s3.json"
fi
# Containers run as other users (Prometheus as nobody, the potato image as 10001): the files
# must be readable by them. They stay on this machine, under a git-ignored folder.
chmod 0644 "$dir"/*
