#!/usr/bin/env bash
# `make run`: starts the MyPay simulator (unless real MyPay settings are given), the SMTP sink
# (unless a real ECM_SMTP_URL is given) and the portal.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR=${TARGET_DIR:-target}
RUN_ADDR=${RUN_ADDR:-127.0.0.1:3000}
SIM_ADDR=${SIM_ADDR:-127.0.0.1:8089}
SINK_SMTP_ADDR=${SINK_SMTP_ADDR:-127.0.0.1:2525}
SINK_HTTP_ADDR=${SINK_HTTP_ADDR:-127.0.0.1:8025}
export ECM_ADMIN_EMAIL=${ECM_ADMIN_EMAIL:-segreteria@ecm.demo}
export ECM_ADMIN_PASSWORD=${ECM_ADMIN_PASSWORD:-Segreteria2026!}

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

mypay="MyPay reale: ${ECM_MYPAY_ENDPOINT:-non configurato}"
if [ -z "${ECM_MYPAY_ENDPOINT:-}" ]; then
  # No real MyPay configured: the simulator stands in for it, with matching credentials.
  "$TARGET_DIR/release/mypay-simulator" --addr "$SIM_ADDR" &
  pids+=($!)
  export ECM_MYPAY_ENDPOINT="http://$SIM_ADDR/ws/pa/PagamentiTelematiciDovutiPagati"
  export ECM_MYPAY_COD_IPA_ENTE=R_VENETO
  export ECM_MYPAY_PASSWORD='Ecm#Veneto2025'
  mypay="simulatore MyPay: http://$SIM_ADDR (WSDL: /ws/pa/PagamentiTelematiciDovutiPagati.wsdl)"
fi

mail="SMTP reale (ECM_SMTP_URL)"
if [ -z "${ECM_SMTP_URL:-}" ]; then
  # No real SMTP server configured: the sink receives every mail and shows it on a page.
  "$TARGET_DIR/release/mail-sink" --smtp "$SINK_SMTP_ADDR" --http "$SINK_HTTP_ADDR" &
  pids+=($!)
  export ECM_SMTP_URL="smtp://$SINK_SMTP_ADDR?tls=none"
  export ECM_MAIL_FROM=${ECM_MAIL_FROM:-'Portale ECM <ecm-noreply@ecm.demo>'}
  export ECM_MAIL_INTERVAL_SECONDS=${ECM_MAIL_INTERVAL_SECONDS:-2}
  mail="sink SMTP di sviluppo: leggi la posta su http://$SINK_HTTP_ADDR (SMTP su $SINK_SMTP_ADDR)"
fi

cat <<BANNER

  Portale ECM:  http://$RUN_ADDR
  Segreteria:   $ECM_ADMIN_EMAIL / $ECM_ADMIN_PASSWORD
  Provider:     registrati da http://$RUN_ADDR/registrazione
  Pagamenti:    $mypay
  Posta:        $mail
  Dati:         ${DATABASE_URL:-./data/ecm.sqlite (SQLite)}   —   Ctrl-C per fermare

BANNER

LEPTOS_OUTPUT_NAME=ecm LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR="$RUN_ADDR" \
  "$TARGET_DIR/release/ecm-server"
