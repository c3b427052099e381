"""Third-party check of the MyPay simulator with zeep, a SOAP client generated from the official
WSDL (xsd/pa-per-ente.wsdl): send a cart, pay it through the simulator's admin API, then
paaSILChiediPagati and paaSILChiediPagatiConRicevuta. Any failed assertion exits non-zero.

Usage: python drive_simulator.py --wsdl xsd/pa-per-ente.wsdl --base http://127.0.0.1:PORT
       [--cod-ipa R_VENETO] [--password 'Ecm#Veneto2025'] [--iud-prefix ECM-ZEEP]
"""

import argparse
import base64
import sys
import urllib.request

from zeep import Client
from zeep.plugins import HistoryPlugin

NS_DOVUTI = "http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/"
BINDING = "{http://www.regione.veneto.it/pagamenti/ente/PagamentiTelematiciDovutiPagati}PagamentiTelematiciDovutiPagatiBinding"


def dovuti(iud: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Dovuti xmlns="{NS_DOVUTI}">
  <versioneOggetto>6.2.0</versioneOggetto>
  <soggettoPagatore>
    <identificativoUnivocoPagatore>
      <tipoIdentificativoUnivoco>F</tipoIdentificativoUnivoco>
      <codiceIdentificativoUnivoco>RSSMRA80A01H501U</codiceIdentificativoUnivoco>
    </identificativoUnivocoPagatore>
    <anagraficaPagatore>Mario Rossi</anagraficaPagatore>
  </soggettoPagatore>
  <datiVersamento>
    <tipoVersamento>ALL</tipoVersamento>
    <datiSingoloVersamento>
      <identificativoUnivocoDovuto>{iud}</identificativoUnivocoDovuto>
      <importoSingoloVersamento>25.00</importoSingoloVersamento>
      <identificativoTipoDovuto>ECM_QUOTA_ANNUALE</identificativoTipoDovuto>
      <causaleVersamento>Quota annuale ECM (zeep)</causaleVersamento>
      <datiSpecificiRiscossione>9/0301109AP</datiSpecificiRiscossione>
    </datiSingoloVersamento>
  </datiVersamento>
</Dovuti>
""".encode("utf-8")


def decode_pagati(value: bytes) -> str:
    """zeep removes the SOAP base64 layer; MyPay adds a second one (trap T1)."""
    text = value.decode("ascii").strip()
    return base64.b64decode(text).decode("utf-8")


PASSED = []


def check(condition: bool, message: str) -> None:
    PASSED.append(message)
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {message}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wsdl", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--cod-ipa", default="R_VENETO")
    parser.add_argument("--password", default="Ecm#Veneto2025")
    parser.add_argument("--iud-prefix", default="ECM-ZEEP")
    args = parser.parse_args()

    history = HistoryPlugin()
    client = Client(args.wsdl, plugins=[history])
    service = client.create_service(BINDING, f"{args.base}/ws/pa/PagamentiTelematiciDovutiPagati")
    iud = f"{args.iud_prefix}-01"

    # paaSILInviaDovuti: codIpaEnte in the intestazionePPT header.
    header = client.get_element("{http://www.regione.veneto.it/pagamenti/ente/ppthead}intestazionePPT")
    answer = service.paaSILInviaDovuti(
        password=args.password,
        dovuti=dovuti(iud),
        enteSILInviaRispostaPagamentoUrl="https://ecm.example.invalid/pagamenti/ritorno",
        showMyPay="SHORT",
        _soapheaders=[header(codIpaEnte=args.cod_ipa)],
    )
    check(answer.fault is None and answer.esito == "OK", f"paaSILInviaDovuti esito OK ({answer.esito})")
    id_session = answer.idSession
    check(bool(id_session) and answer.url.startswith(args.base), f"idSession {id_session} and landing url")

    # Not paid yet.
    pending = service.paaSILChiediPagati(codIpaEnte=args.cod_ipa, password=args.password, idSession=id_session)
    check(pending.fault is not None and pending.fault.faultCode == "PAA_PAGAMENTO_NON_INIZIATO", "pending before payment")

    # Pay through the simulator's admin API.
    request = urllib.request.Request(f"{args.base}/admin/sessions/{id_session}/pay", data=b"", method="POST")
    with urllib.request.urlopen(request) as response:
        check(response.status == 204, "admin pay")

    paid = service.paaSILChiediPagati(codIpaEnte=args.cod_ipa, password=args.password, idSession=id_session)
    check(paid.fault is None and paid.pagati is not None, "paaSILChiediPagati answers with pagati")
    pagati = decode_pagati(paid.pagati)
    check("<codiceEsitoPagamento>0</codiceEsitoPagamento>" in pagati, "codiceEsitoPagamento 0")
    check(f"<identificativoUnivocoDovuto>{iud}</identificativoUnivocoDovuto>" in pagati, "IUD echoed")
    check("<importoTotalePagato>25.00</importoTotalePagato>" in pagati, "total 25.00")

    receipt = service.paaSILChiediPagatiConRicevuta(codIpaEnte=args.cod_ipa, password=args.password, identificativoUnivocoDovuto=iud)
    check(receipt.fault is None, "paaSILChiediPagatiConRicevuta by IUD without fault")
    check(decode_pagati(receipt.pagati).startswith("<PagatiConRicevuta"), "PagatiConRicevuta document")
    rt = receipt.rt.decode("utf-8")
    check("<RT " in rt or "<receipt>" in rt, "rt carries a receipt document (single base64)")

    wrong = service.paaSILChiediPagati(codIpaEnte=args.cod_ipa, password="Wrong#Pass2025", idSession=id_session)
    check(wrong.fault is not None and wrong.fault.faultCode == "PAA_ENTE_NON_VALIDO", "wrong password → PAA_ENTE_NON_VALIDO")
    print(f"zeep check: {len(PASSED)} passed, 0 failed")


if __name__ == "__main__":
    main()
