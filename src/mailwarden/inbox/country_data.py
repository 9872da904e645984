"""Tables for :mod:`.country`: country names, calling codes, IDN ccTLDs, ccTLDs used as generic names.

Names cover the markets a Chinese exporter sells to, in English, in the country's own language(s) and in
Chinese (simplified, and traditional where it differs). Names that are also common words or given names
in signatures (Chad, Jordan, Georgia, Niger, Guinea) are left out on purpose: a wrong country is worse
than none. Calling codes are ITU-T E.164 assignments; +1 (shared by the NANP countries) is absent.
"""

from __future__ import annotations

__all__ = ["CALLING_CODES", "COUNTRY_NAMES", "GENERIC_CCTLDS", "IDN_CCTLDS"]

COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "CN": ("China", "P.R. China", "PRC", "中国", "中國", "中华人民共和国"),
    "HK": ("Hong Kong", "香港"),
    "TW": ("Taiwan", "台湾", "臺灣", "台灣"),
    "MO": ("Macau", "Macao", "澳门", "澳門"),
    "DE": ("Germany", "Deutschland", "德国", "德國"),
    "AT": ("Austria", "Österreich", "奥地利", "奧地利"),
    "CH": ("Switzerland", "Schweiz", "Suisse", "Svizzera", "瑞士"),
    "FR": ("France", "法国", "法國"),
    "BE": ("Belgium", "België", "Belgique", "比利时", "比利時"),
    "NL": ("Netherlands", "The Netherlands", "Holland", "Nederland", "荷兰", "荷蘭"),
    "LU": ("Luxembourg", "卢森堡", "盧森堡"),
    "GB": ("United Kingdom", "UK", "U.K.", "Great Britain", "England", "Scotland", "Wales", "英国", "英國"),
    "IE": ("Ireland", "Éire", "爱尔兰", "愛爾蘭"),
    "IT": ("Italy", "Italia", "意大利"),
    "ES": ("Spain", "España", "西班牙"),
    "PT": ("Portugal", "葡萄牙"),
    "GR": ("Greece", "Ελλάδα", "希腊", "希臘"),
    "PL": ("Poland", "Polska", "波兰", "波蘭"),
    "CZ": ("Czech Republic", "Czechia", "Česká republika", "捷克"),
    "SK": ("Slovakia", "Slovensko", "斯洛伐克"),
    "HU": ("Hungary", "Magyarország", "匈牙利"),
    "RO": ("Romania", "România", "罗马尼亚", "羅馬尼亞"),
    "BG": ("Bulgaria", "България", "保加利亚", "保加利亞"),
    "HR": ("Croatia", "Hrvatska", "克罗地亚", "克羅地亞"),
    "SI": ("Slovenia", "Slovenija", "斯洛文尼亚"),
    "RS": ("Serbia", "Srbija", "Србија", "塞尔维亚"),
    "DK": ("Denmark", "Danmark", "丹麦", "丹麥"),
    "SE": ("Sweden", "Sverige", "瑞典"),
    "NO": ("Norway", "Norge", "挪威"),
    "FI": ("Finland", "Suomi", "芬兰", "芬蘭"),
    "EE": ("Estonia", "Eesti", "爱沙尼亚"),
    "LV": ("Latvia", "Latvija", "拉脱维亚"),
    "LT": ("Lithuania", "Lietuva", "立陶宛"),
    "RU": ("Russia", "Russian Federation", "Россия", "俄罗斯", "俄羅斯"),
    "UA": ("Ukraine", "Україна", "Украина", "乌克兰", "烏克蘭"),
    "BY": ("Belarus", "Беларусь", "白俄罗斯"),
    "KZ": ("Kazakhstan", "Казахстан", "哈萨克斯坦"),
    "UZ": ("Uzbekistan", "O'zbekiston", "乌兹别克斯坦"),
    "TR": ("Turkey", "Türkiye", "土耳其"),
    "IL": ("Israel", "以色列"),
    "AE": ("United Arab Emirates", "UAE", "U.A.E.", "Dubai", "阿联酋", "阿聯酋"),
    "SA": ("Saudi Arabia", "KSA", "沙特阿拉伯", "沙特"),
    "QA": ("Qatar", "卡塔尔", "卡塔爾"),
    "KW": ("Kuwait", "科威特"),
    "OM": ("Oman", "阿曼"),
    "BH": ("Bahrain", "巴林"),
    "IR": ("Iran", "伊朗"),
    "IQ": ("Iraq", "伊拉克"),
    "EG": ("Egypt", "埃及"),
    "MA": ("Morocco", "Maroc", "摩洛哥"),
    "DZ": ("Algeria", "Algérie", "阿尔及利亚"),
    "TN": ("Tunisia", "Tunisie", "突尼斯"),
    "NG": ("Nigeria", "尼日利亚", "尼日利亞"),
    "GH": ("Ghana", "加纳", "迦納"),
    "KE": ("Kenya", "肯尼亚", "肯亞"),
    "ET": ("Ethiopia", "埃塞俄比亚"),
    "TZ": ("Tanzania", "坦桑尼亚"),
    "ZA": ("South Africa", "南非"),
    "IN": ("India", "印度"),
    "PK": ("Pakistan", "巴基斯坦"),
    "BD": ("Bangladesh", "孟加拉国", "孟加拉"),
    "LK": ("Sri Lanka", "斯里兰卡"),
    "NP": ("Nepal", "尼泊尔"),
    "JP": ("Japan", "日本"),
    "KR": ("South Korea", "Republic of Korea", "Korea", "대한민국", "한국", "韩国", "韓國"),
    "VN": ("Vietnam", "Viet Nam", "Việt Nam", "越南"),
    "TH": ("Thailand", "ประเทศไทย", "泰国", "泰國"),
    "MY": ("Malaysia", "马来西亚", "馬來西亞"),
    "SG": ("Singapore", "新加坡"),
    "ID": ("Indonesia", "印度尼西亚", "印尼"),
    "PH": ("Philippines", "菲律宾", "菲律賓"),
    "KH": ("Cambodia", "柬埔寨"),
    "MM": ("Myanmar", "缅甸", "緬甸"),
    "AU": ("Australia", "澳大利亚", "澳洲"),
    "NZ": ("New Zealand", "新西兰", "紐西蘭"),
    "US": ("United States", "United States of America", "USA", "U.S.A.", "美国", "美國"),
    "CA": ("Canada", "加拿大"),
    "MX": ("Mexico", "México", "墨西哥"),
    "BR": ("Brazil", "Brasil", "巴西"),
    "AR": ("Argentina", "阿根廷"),
    "CL": ("Chile", "智利"),
    "CO": ("Colombia", "哥伦比亚", "哥倫比亞"),
    "PE": ("Peru", "Perú", "秘鲁", "秘魯"),
    "EC": ("Ecuador", "厄瓜多尔"),
    "VE": ("Venezuela", "委内瑞拉"),
    "UY": ("Uruguay", "乌拉圭"),
}

#: E.164 country calling code -> ISO 3166-1 alpha-2 (one country per code; +1 and +7 handled apart)
CALLING_CODES: dict[str, str] = {
    "20": "EG", "212": "MA", "213": "DZ", "216": "TN", "234": "NG", "233": "GH", "254": "KE", "251": "ET",
    "255": "TZ", "27": "ZA", "30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES", "351": "PT",
    "352": "LU", "353": "IE", "358": "FI", "359": "BG", "36": "HU", "370": "LT", "371": "LV", "372": "EE",
    "375": "BY", "380": "UA", "381": "RS", "385": "HR", "386": "SI", "39": "IT", "40": "RO", "41": "CH",
    "420": "CZ", "421": "SK", "43": "AT", "44": "GB", "45": "DK", "46": "SE", "47": "NO", "48": "PL",
    "49": "DE", "51": "PE", "52": "MX", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "58": "VE",
    "593": "EC", "598": "UY", "60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG",
    "66": "TH", "81": "JP", "82": "KR", "84": "VN", "852": "HK", "853": "MO", "855": "KH", "86": "CN",
    "880": "BD", "886": "TW", "90": "TR", "91": "IN", "92": "PK", "94": "LK", "95": "MM", "977": "NP",
    "965": "KW", "966": "SA", "968": "OM", "971": "AE", "972": "IL", "973": "BH", "974": "QA", "98": "IR",
    "964": "IQ", "998": "UZ",
}  # fmt: skip

#: ccTLDs sold worldwide as generic names (or not a country): they say nothing about where a company is
GENERIC_CCTLDS = frozenset(
    {
        "ac",
        "ai",
        "cc",
        "co",
        "eu",
        "fm",
        "gg",
        "io",
        "la",
        "ly",
        "me",
        "nu",
        "sh",
        "so",
        "su",
        "to",
        "tv",
        "ws",
        "vc",
        "im",
    }
)

#: internationalised ccTLDs (punycode) -> ISO 3166-1 alpha-2
IDN_CCTLDS: dict[str, str] = {
    "xn--fiqs8s": "CN",  # 中国
    "xn--fiqz9s": "CN",  # 中國
    "xn--j6w193g": "HK",  # 香港
    "xn--kprw13d": "TW",  # 台湾
    "xn--kpry57d": "TW",  # 台灣
    "xn--mix891f": "MO",  # 澳門
    "xn--p1ai": "RU",  # рф
    "xn--j1amh": "UA",  # укр
    "xn--90a3ac": "RS",  # срб
    "xn--3e0b707e": "KR",  # 한국
    "xn--o3cw4h": "TH",  # ไทย
    "xn--wgbh1c": "EG",  # مصر
    "xn--mgbaam7a8h": "AE",  # امارات
    "xn--mgberp4a5d4ar": "SA",  # السعودية
    "xn--h2brj9c": "IN",  # भारत
    "xn--yfro4i67o": "SG",  # 新加坡
    "xn--clchc0ea0b2g2a9gcd": "SG",  # சிங்கப்பூர்
}
