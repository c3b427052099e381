#!/usr/bin/env bash
# `make run`: starts the MyPay simulator (unless real MyPay settings are given) and the portal.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR=${TARGET_DIR:-target}
RUN_ADDR=${RUN_ADDR:-127.0.0.1:3000}
SIM_ADDR=${SIM_ADDR:-127.0.0.1:8089}
export ECM_ADMIN_EMAIL=${ECM_ADMIN_EMAIL:-segreteria@ecm.demo}
export ECM_ADMIN_PASSWORD=${ECM_ADMIN_PASSWORD:-Segreteria2026!}

mypay="MyPay reale: ${ECM_MYPAY_ENDPOINT:-non configurato}"
if [ -z "${ECM_MYPAY_ENDPOINT:-}" ]; then
  # No real MyPay configured: the simulator stands in for it, with matching credentials.
  "$TARGET_DIR/release/mypay-simulator" --addr "$SIM_ADDR" &
  sim_pid=$!
  trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
  export ECM_MYPAY_ENDPOINT="http://$SIM_ADDR/ws/pa/PagamentiTelematiciDovutiPagati"
  export ECM_MYPAY_COD_IPA_ENTE=R_VENETO
  export ECM_MYPAY_PASSWORD='Ecm#Veneto2025'
  mypay="simulatore MyPay: http://$SIM_ADDR (WSDL: /ws/pa/PagamentiTelematiciDovutiPagati.wsdl)"
fi

cat <<BANNER

  Portale ECM:  http://$RUN_ADDR
  Segreteria:   $ECM_ADMIN_EMAIL / $ECM_ADMIN_PASSWORD
  Provider:     registrati da http://$RUN_ADDR/registrazione
  Pagamenti:    $mypay
  Dati:         ${DATABASE_URL:-./data/ecm.sqlite (SQLite)}   —   Ctrl-C per fermare

BANNER

LEPTOS_OUTPUT_NAME=ecm LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR="$RUN_ADDR" \
  "$TARGET_DIR/release/ecm-server"
