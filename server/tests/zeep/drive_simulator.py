"""Third-party check of the MyPay simulator with zeep, a SOAP client generated from the official
WSDL (xsd/pa-per-ente.wsdl): send a cart, pay it through the simulator's admin API, then
paaSILChiediPagati and paaSILChiediPagatiConRicevuta; then the payment-notice operations:
paaSILImportaDovuto (insert, repeated insert), the notice PDF, paaSILVerificaAvviso, a payment
at a PSP (admin API) and paaSILRegistraPagamento, each confirmed by paaSILChiediPagatiConRicevuta.
Any failed assertion exits non-zero.

Usage: python drive_simulator.py --wsdl xsd/pa-per-ente.wsdl --base http://127.0.0.1:PORT
       [--cod-ipa R_VENETO] [--password 'Ecm#Veneto2025'] [--iud-prefix ECM-ZEEP]
"""

import argparse
import base64
import datetime
import decimal
import re
import sys
import urllib.request

from zeep import Client
from zeep.plugins import HistoryPlugin

NS_DOVUTI = "http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/"
BINDING = "{http://www.regione.veneto.it/pagamenti/ente/PagamentiTelematiciDovutiPagati}PagamentiTelematiciDovutiPagatiBinding"


# The payer of every test debt (the same person in a cart and in a notice).
PAGATORE = """  <soggettoPagatore>
    <identificativoUnivocoPagatore>
      <tipoIdentificativoUnivoco>F</tipoIdentificativoUnivoco>
      <codiceIdentificativoUnivoco>RSSMRA80A01H501U</codiceIdentificativoUnivoco>
    </identificativoUnivocoPagatore>
    <anagraficaPagatore>Mario Rossi</anagraficaPagatore>
  </soggettoPagatore>
"""


def dovuti(iud: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Dovuti xmlns="{NS_DOVUTI}">
  <versioneOggetto>6.2.0</versioneOggetto>
{PAGATORE}  <datiVersamento>
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


def versamento(iud: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Versamento xmlns="{NS_DOVUTI}">
  <versioneOggetto>6.2.0</versioneOggetto>
{PAGATORE}  <datiVersamento>
    <tipoVersamento>ALL</tipoVersamento>
    <identificativoUnivocoDovuto>{iud}</identificativoUnivocoDovuto>
    <importoSingoloVersamento>40.00</importoSingoloVersamento>
    <identificativoTipoDovuto>ECM_QUOTA_ANNUALE</identificativoTipoDovuto>
    <causaleVersamento>Avviso quota annuale ECM (zeep)</causaleVersamento>
    <datiSpecificiRiscossione>9/0301109AP</datiSpecificiRiscossione>
  </datiVersamento>
  <azione>I</azione>
</Versamento>
""".encode("utf-8")


def decode_pagati(value: bytes) -> str:
    """zeep removes the SOAP base64 layer; MyPay adds a second one (docs/mypay.md trap T1)."""
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
    # ---- payment notices ----
    def importa(iud: str):
        return service.paaSILImportaDovuto(
            password=args.password,
            dovuto=versamento(iud),
            flagGeneraIuv=True,
            _soapheaders=[header(codIpaEnte=args.cod_ipa)],
        )

    notice_iud = f"{args.iud_prefix}-AV1"
    created = importa(notice_iud)
    iuv = created.identificativoUnivocoVersamento
    check(created.fault is None and created.esito == "OK" and re.fullmatch(r"0100\d{13}", iuv or "") is not None,
          f"paaSILImportaDovuto OK with a MyPay IUV ({iuv})")
    with urllib.request.urlopen(created.urlFileAvviso) as response:
        body = response.read()
        check(response.headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-"), "urlFileAvviso serves a PDF")
    again = importa(notice_iud)
    check(again.esito == "KO" and again.fault.faultCode == "PAA_IMPORT_IUD_DUPLICATO"
          and again.identificativoUnivocoVersamento not in (None, iuv), "repeated insert: KO with a consumed IUV")

    verifica = service.paaSILVerificaAvviso(
        password=args.password,
        identificativoUnivocoVersamento=iuv,
        enteSILInviaRispostaPagamentoUrl="https://ecm.example.invalid/pagamenti/ritorno",
        _soapheaders=[header(codIpaEnte=args.cod_ipa)],
    )
    check(verifica.fault is None and verifica.esito == "OK" and bool(verifica.idSession), "paaSILVerificaAvviso OK")

    before = service.paaSILChiediPagatiConRicevuta(codIpaEnte=args.cod_ipa, password=args.password, identificativoUnivocoVersamento=iuv)
    check(before.fault is not None and before.fault.faultCode == "PAA_PAGAMENTO_NON_INIZIATO", "notice not paid yet")
    request = urllib.request.Request(f"{args.base}/admin/avvisi/{iuv}/pay-at-psp", data=b"", method="POST")
    with urllib.request.urlopen(request) as response:
        check(response.status == 200, "admin pay-at-psp")
    at_psp = service.paaSILChiediPagatiConRicevuta(codIpaEnte=args.cod_ipa, password=args.password, identificativoUnivocoDovuto=notice_iud)
    document = decode_pagati(at_psp.pagati)
    check(at_psp.fault is None and "<codiceEsitoPagamento>0</codiceEsitoPagamento>" in document
          and f"<noticeNumber>3{iuv}</noticeNumber>" in at_psp.rt.decode("utf-8"), "paid at a PSP: Pagati + ctReceipt")

    rend9_iud = f"{args.iud_prefix}-AV2"
    rend9_iuv = importa(rend9_iud).identificativoUnivocoVersamento
    registra = service.paaSILRegistraPagamento(
        codIpaEnte=args.cod_ipa,
        password=args.password,
        identificativoUnivocoVersamento=rend9_iuv,
        singoloImportoPagato=decimal.Decimal("40.00"),
        dataEsitoSingoloPagamento=datetime.date(2025, 4, 10),
        indiceDatiSingoloPagamento=1,
        identificativoUnivocoRiscossione="TRN-ZEEP-1",
        tipoIstitutoAttestante="B",
        codiceIstitutiAttestante="ABCDITMMXXX",
        denominazioneAttestante="Banca Tesoriera",
    )
    check(registra.fault is None and registra.esito == "OK", "paaSILRegistraPagamento OK")
    recorded = service.paaSILChiediPagatiConRicevuta(codIpaEnte=args.cod_ipa, password=args.password, identificativoUnivocoVersamento=rend9_iuv)
    check(recorded.fault is None and "PAGATO CON RENDICONTAZIONE 9" in decode_pagati(recorded.pagati) and not recorded.rt,
          "registered payment: code 9, no receipt")
    print(f"zeep check: {len(PASSED)} passed, 0 failed")


if __name__ == "__main__":
    main()
