"""Which language detector for inbox messages: accuracy on short and CJK texts, and time per text.

Run by hand (never by CI): ``.venv/bin/python bench/language_id.py``. It evaluates every detector it can
import — py3langid, lingua-language-detector, pycld2, langdetect, and ``mailwarden`` (the inbox's own
``detect_language``) — on the hand-written samples below, the kind of text a customer writes to an
exporter: one-line inquiries, greetings, short answers, Chinese with a few Latin letters (model numbers),
Japanese and Korean. The project's environment has py3langid and mailwarden; install the others in a
scratch environment (see bench/README.md). "?" in the output is a detector abstaining.

The numbers are recorded in docs/decisions/0012-inbox-threading-and-parties.md.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable

# (ISO 639-1 code, text). Short on purpose: a reply is often one line, and that is where detectors fail.
SAMPLES: list[tuple[str, str]] = [
    ("en", "Please send me your price list."),
    ("en", "Thanks, received."),
    ("en", "Can you quote 500 pcs of model HX-200 FOB Ningbo?"),
    ("en", "We are interested in your LED panels. What is the MOQ and lead time?"),
    ("en", "OK, go ahead."),
    ("zh", "请报价"),
    ("zh", "你好，请问HX-200的最小起订量是多少？"),
    ("zh", "收到，谢谢"),
    ("zh", "我们对贵公司的LED面板很感兴趣，请发产品目录和价格表。"),
    ("zh", "好的"),
    ("zh", "您好！附件是我们的询价单，请尽快回复。"),
    ("de", "Bitte senden Sie uns ein Angebot."),
    ("de", "Vielen Dank für Ihre schnelle Antwort."),
    ("de", "Wir benötigen 200 Stück bis Ende März. Ist das möglich?"),
    ("de", "Gruß"),
    ("es", "¿Cuál es el precio por unidad?"),
    ("es", "Gracias por su respuesta rápida."),
    ("es", "Necesitamos una cotización para 1000 piezas."),
    ("fr", "Merci pour votre offre."),
    ("fr", "Pouvez-vous nous envoyer le catalogue ?"),
    ("fr", "Nous souhaitons commander 300 unités."),
    ("it", "Potete inviarci un preventivo?"),
    ("it", "Grazie mille per la risposta."),
    ("pt", "Qual é o prazo de entrega?"),
    ("pt", "Obrigado pela cotação."),
    ("ru", "Пришлите, пожалуйста, прайс-лист."),
    ("ru", "Спасибо, получили."),
    ("ru", "Какой минимальный объём заказа?"),
    ("ja", "見積もりをお願いします。"),
    ("ja", "ありがとうございます。"),
    ("ja", "カタログを送ってください"),
    ("ko", "견적서를 보내주세요."),
    ("ko", "감사합니다"),
    ("ar", "نرجو إرسال قائمة الأسعار."),
    ("ar", "شكرا لكم"),
    ("tr", "Fiyat listenizi gönderebilir misiniz?"),
    ("tr", "Teşekkürler, aldık."),
    ("pl", "Proszę o przesłanie oferty."),
    ("pl", "Dziękuję za szybką odpowiedź."),
    ("nl", "Kunt u ons een offerte sturen?"),
    ("nl", "Bedankt voor uw snelle reactie."),
    ("vi", "Vui lòng gửi bảng giá cho chúng tôi."),
    ("vi", "Cảm ơn bạn rất nhiều."),
    ("th", "กรุณาส่งใบเสนอราคา"),
    ("id", "Mohon kirimkan daftar harga Anda."),
    ("id", "Terima kasih atas balasannya."),
]


def _py3langid() -> Callable[[str], str]:
    import py3langid  # type: ignore[import-not-found]

    return lambda text: str(py3langid.classify(text)[0])


def _lingua() -> Callable[[str], str]:
    from lingua import LanguageDetectorBuilder  # type: ignore[import-not-found]

    detector = LanguageDetectorBuilder.from_all_languages().build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return "?" if found is None else str(found.iso_code_639_1.name).lower()

    return detect


def _pycld2() -> Callable[[str], str]:
    import pycld2  # type: ignore[import-not-found]

    def detect(text: str) -> str:
        _reliable, _, details = pycld2.detect(text)
        code = str(details[0][1])
        return {"zh-Hant": "zh", "un": "?"}.get(code, code)

    return detect


def _langdetect() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect  # type: ignore[import-not-found]

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            return str(detect(text)).split("-")[0]
        except Exception:  # noqa: BLE001 - langdetect raises its own bare exception on "no features"
            return "?"

    return run


def _mailwarden() -> Callable[[str], str]:
    """What the inbox uses: script rules, then py3langid restricted to our markets' languages."""
    from mailwarden.inbox.language import detect_language

    def detect(text: str) -> str:
        found = detect_language(text)
        return "?" if found is None else found.code

    return detect


DETECTORS = {
    "py3langid": _py3langid,
    "lingua": _lingua,
    "pycld2": _pycld2,
    "langdetect": _langdetect,
    "mailwarden": _mailwarden,
}
MODULES = {
    "py3langid": "py3langid",
    "lingua": "lingua",
    "pycld2": "pycld2",
    "langdetect": "langdetect",
    "mailwarden": "mailwarden",
}


def main() -> None:
    cjk = {"zh", "ja", "ko"}
    for name, factory in DETECTORS.items():
        if importlib.util.find_spec(MODULES[name]) is None:
            print(f"{name:11} not installed", file=sys.stderr)
            continue
        started = time.perf_counter()
        detect = factory()
        load = time.perf_counter() - started
        detect("warm up")
        started = time.perf_counter()
        answers = [detect(text) for _, text in SAMPLES]
        per_text = (time.perf_counter() - started) / len(SAMPLES)
        right = [answer == lang for answer, (lang, _) in zip(answers, SAMPLES, strict=True)]
        right_cjk = [ok for ok, (lang, _) in zip(right, SAMPLES, strict=True) if lang in cjk]
        wrong = [
            f"{lang}->{answer}" for answer, (lang, _) in zip(answers, SAMPLES, strict=True) if answer != lang
        ]
        print(
            f"{name:11} {sum(right)}/{len(right)} right, CJK {sum(right_cjk)}/{len(right_cjk)}, "
            f"load {load * 1000:.0f} ms, {per_text * 1e6:.0f} µs/text; wrong: {' '.join(wrong)}"
        )


if __name__ == "__main__":
    main()
