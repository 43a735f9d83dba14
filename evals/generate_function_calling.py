"""Write evals/items/function_calling.json: single-turn function calling, BFCL-style, EN and ZH.

One tool library below; each item offers a few of its tools and names the calls it expects,
with the acceptable values of every argument (``None``: may be left out). Rerunning this
script reproduces the file byte for byte: ``python3 evals/generate_function_calling.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "items" / "function_calling.json"
MAX_TOKENS = 256


def _p(kind: str, description: str, **more: Any) -> dict[str, Any]:
    return {"type": kind, "description": description, **more}


def _tool(name: str, description: str, required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required}}


DATE = "Date, YYYY-MM-DD."
TIME = "Time of day, HH:MM (24h)."
UNITS = ["km", "mi", "m", "ft", "kg", "lb", "l", "gal"]

TOOLS = {t["name"]: t for t in [
    _tool("get_weather", "Get the current weather in a city.", ["city"],
          city=_p("string", "City name, e.g. Lisbon."),
          unit=_p("string", "Temperature unit, default celsius.", enum=["celsius", "fahrenheit"])),
    _tool("get_forecast", "Get the daily weather forecast for a city.", ["city", "days"],
          city=_p("string", "City name."), days=_p("integer", "Number of days, 1 to 7.")),
    _tool("get_air_quality", "Get the current air quality index of a city.", ["city"], city=_p("string", "City name.")),
    _tool("convert_currency", "Convert an amount of money between currencies at today's rate.",
          ["amount", "from_currency", "to_currency"],
          amount=_p("number", "Amount to convert."), from_currency=_p("string", "ISO 4217 code of the source currency, e.g. USD."),
          to_currency=_p("string", "ISO 4217 code of the target currency, e.g. EUR.")),
    _tool("convert_units", "Convert a length, mass or volume between units.", ["value", "from_unit", "to_unit"],
          value=_p("number", "The quantity to convert."), from_unit=_p("string", "Unit of the value.", enum=UNITS),
          to_unit=_p("string", "Unit wanted.", enum=UNITS)),
    _tool("search_flights", "Search scheduled flights between two airports on a date.", ["origin", "destination", "date"],
          origin=_p("string", "IATA code of the departure airport, e.g. LHR."),
          destination=_p("string", "IATA code of the arrival airport."), date=_p("string", DATE),
          passengers=_p("integer", "Number of passengers, default 1."),
          cabin=_p("string", "Cabin class, default economy.", enum=["economy", "premium_economy", "business", "first"])),
    _tool("book_hotel", "Book hotel rooms in a city.", ["city", "check_in", "check_out", "guests"],
          city=_p("string", "City name."), check_in=_p("string", DATE), check_out=_p("string", DATE),
          guests=_p("integer", "Number of guests."), rooms=_p("integer", "Number of rooms, default 1.")),
    _tool("translate_text", "Translate text into another language.", ["text", "target_language"],
          text=_p("string", "The text to translate."), target_language=_p("string", "ISO 639-1 code of the target language, e.g. fr."),
          source_language=_p("string", "ISO 639-1 code of the source language; detected when left out.")),
    _tool("define_word", "Look up the dictionary definition of a word.", ["word"],
          word=_p("string", "The word."), language=_p("string", "ISO 639-1 code of the dictionary's language, default en.")),
    _tool("get_stock_price", "Get the latest trading price of a listed company's stock.", ["symbol"],
          symbol=_p("string", "Ticker symbol, e.g. AAPL.")),
    _tool("get_population", "Get the population of a country.", ["country"],
          country=_p("string", "Country name."), year=_p("integer", "Year, default the latest available.")),
    _tool("get_public_holidays", "List a country's public holidays in a year.", ["country_code", "year"],
          country_code=_p("string", "ISO 3166-1 alpha-2 country code, e.g. DE."), year=_p("integer", "The year.")),
    _tool("create_calendar_event", "Create an event in the user's calendar.", ["title", "date", "start_time", "duration_minutes"],
          title=_p("string", "Event title."), date=_p("string", DATE), start_time=_p("string", TIME),
          duration_minutes=_p("integer", "Length in minutes."),
          attendees=_p("array", "Email addresses to invite.", items={"type": "string"})),
    _tool("create_reminder", "Create a reminder that notifies the user at a given moment.", ["text", "datetime"],
          text=_p("string", "What to be reminded of."), datetime=_p("string", "When, YYYY-MM-DDTHH:MM.")),
    _tool("send_email", "Send an email from the user's account.", ["to", "subject", "body"],
          to=_p("string", "Recipient's email address."), subject=_p("string", "Subject line."), body=_p("string", "Message text.")),
    _tool("set_alarm", "Set an alarm on the user's phone.", ["time"],
          time=_p("string", TIME), label=_p("string", "Label shown when it rings."),
          repeat=_p("string", "When it repeats, default once.", enum=["once", "daily", "weekdays", "weekends"])),
    _tool("find_restaurants", "Find restaurants in a city.", ["city"],
          city=_p("string", "City name."), cuisine=_p("string", "Kind of food, e.g. Thai."),
          max_price_level=_p("integer", "Highest price level, 1 (cheap) to 4 (expensive)."),
          open_now=_p("boolean", "Only restaurants open right now.")),
    _tool("search_recipes", "Search recipes that use the given ingredients.", ["ingredients"],
          ingredients=_p("array", "Ingredients to use.", items={"type": "string"}),
          max_minutes=_p("integer", "Longest total cooking time."),
          diet=_p("string", "Diet the recipe must suit.", enum=["none", "vegetarian", "vegan", "gluten_free"])),
    _tool("get_movie_showtimes", "List a film's showtimes in a city's cinemas on a date.", ["city", "movie_title", "date"],
          city=_p("string", "City name."), movie_title=_p("string", "Title of the film."), date=_p("string", DATE)),
    _tool("play_music", "Play a song on the user's speaker.", ["song"],
          song=_p("string", "Song title."), artist=_p("string", "Artist or composer."), shuffle=_p("boolean", "Shuffle afterwards.")),
    _tool("set_thermostat", "Set the target temperature of a room's thermostat.", ["room", "temperature_celsius"],
          room=_p("string", "Room name, e.g. living room."), temperature_celsius=_p("number", "Target temperature in °C."),
          mode=_p("string", "Operating mode.", enum=["heat", "cool", "auto"])),
    _tool("set_lights", "Switch a room's lights on or off, optionally at a brightness.", ["room", "on"],
          room=_p("string", "Room name, e.g. kitchen."), on=_p("boolean", "true to switch on, false to switch off."),
          brightness_percent=_p("integer", "Brightness from 0 to 100.")),
    _tool("calculate_bmi", "Compute the body mass index.", ["weight_kg", "height_m"],
          weight_kg=_p("number", "Weight in kilograms."), height_m=_p("number", "Height in metres.")),
    _tool("calculate_tip", "Compute a tip and each person's share of a bill.", ["bill_amount", "tip_percent"],
          bill_amount=_p("number", "The bill before the tip."), tip_percent=_p("number", "Tip as a percentage, e.g. 15."),
          people=_p("integer", "How many people split the bill, default 1.")),
    _tool("calculate_compound_interest", "Compute the final value of a deposit with compound interest.",
          ["principal", "annual_rate_percent", "years"],
          principal=_p("number", "Initial deposit."), annual_rate_percent=_p("number", "Yearly interest rate in percent, e.g. 3.5."),
          years=_p("integer", "Number of years."), compounds_per_year=_p("integer", "Compounding periods per year, default 1.")),
    _tool("get_distance", "Get the road distance between two cities.", ["origin", "destination"],
          origin=_p("string", "City of departure."), destination=_p("string", "City of arrival."),
          unit=_p("string", "Unit, default km.", enum=["km", "mi"])),
    _tool("convert_timezone", "Convert a time of day from one time zone to another.", ["time", "from_timezone", "to_timezone"],
          time=_p("string", TIME), from_timezone=_p("string", "IANA time zone, e.g. Europe/Paris."),
          to_timezone=_p("string", "IANA time zone, e.g. Asia/Tokyo.")),
    _tool("track_package", "Get the delivery status of a parcel.", ["tracking_number", "carrier"],
          tracking_number=_p("string", "The carrier's tracking number."),
          carrier=_p("string", "Carrier.", enum=["ups", "fedex", "dhl", "usps", "sf_express"])),
]}


def call(name: str, **arguments: list[Any]) -> dict[str, Any]:
    """An expected call: each argument with its acceptable values (None: may be left out)."""
    return {"name": name, "arguments": arguments}


C, F = ["celsius", None], ["fahrenheit"]
ZH_BEDROOM, ZH_LIVING = ["卧室", "bedroom"], ["客厅", "living room", "living_room"]

# (slug, lang, prompt, tools offered, expected calls), by stratum
SIMPLE = [
    ("weather_lisbon", "en", "What's the weather in Lisbon right now? Give me the temperature in Fahrenheit.", ["get_weather"],
     [call("get_weather", city=["Lisbon", "Lisbon, Portugal", "Lisboa"], unit=F)]),
    ("currency_usd_jpy", "en", "How many Japanese yen is 250 US dollars?", ["convert_currency"],
     [call("convert_currency", amount=[250], from_currency=["USD"], to_currency=["JPY"])]),
    ("flight_lhr_jfk", "en", "Find flights from London Heathrow (LHR) to New York JFK on 2026-07-14 for 2 passengers in business class.",
     ["search_flights"],
     [call("search_flights", origin=["LHR"], destination=["JFK"], date=["2026-07-14"], passengers=[2], cabin=["business"])]),
    ("translate_french", "en", "Translate \"Where is the train station?\" into French.", ["translate_text"],
     [call("translate_text", text=["Where is the train station?", "Where is the train station"], target_language=["fr"],
           source_language=[None, "en"])]),
    ("stock_nvda", "en", "What is NVIDIA trading at right now? Its ticker is NVDA.", ["get_stock_price"],
     [call("get_stock_price", symbol=["NVDA"])]),
    ("calendar_event", "en", "Put a 45-minute meeting called \"Budget sync\" in my calendar on 2026-04-03 at 15:30.",
     ["create_calendar_event"],
     [call("create_calendar_event", title=["Budget sync"], date=["2026-04-03"], start_time=["15:30"], duration_minutes=[45],
           attendees=[None, []])]),
    ("package_dhl", "en", "Where is my DHL parcel? The tracking number is JD014600006651.", ["track_package"],
     [call("track_package", tracking_number=["JD014600006651"], carrier=["dhl"])]),
    ("compound_interest", "en", "If I deposit 5000 at 4.5% a year, compounded monthly, how much will I have after 10 years?",
     ["calculate_compound_interest"],
     [call("calculate_compound_interest", principal=[5000], annual_rate_percent=[4.5], years=[10], compounds_per_year=[12])]),
    ("alarm_weekdays", "en", "Set an alarm for 06:45 on weekdays with the label \"Gym\".", ["set_alarm"],
     [call("set_alarm", time=["06:45"], label=["Gym"], repeat=["weekdays"])]),
    ("bmi", "en", "I weigh 72.5 kg and I'm 1.78 m tall. What's my BMI?", ["calculate_bmi"],
     [call("calculate_bmi", weight_kg=[72.5], height_m=[1.78])]),
    ("holidays_germany", "en", "List the public holidays in Germany for 2027.", ["get_public_holidays"],
     [call("get_public_holidays", country_code=["DE"], year=[2027])]),
    ("recipes_vegan", "en", "Find vegan recipes with chickpeas and spinach that take at most 30 minutes.", ["search_recipes"],
     [call("search_recipes", ingredients=[["chickpeas", "spinach"], ["spinach", "chickpeas"]], max_minutes=[30], diet=["vegan"])]),
    ("tip_split", "en", "Our dinner bill is 184.60. Work out an 18% tip, split between 4 people.", ["calculate_tip"],
     [call("calculate_tip", bill_amount=[184.6], tip_percent=[18], people=[4])]),
    ("zh_weather_chengdu", "zh", "成都现在天气怎么样？温度用摄氏度。", ["get_weather"],
     [call("get_weather", city=["成都", "成都市", "Chengdu"], unit=C)]),
    ("zh_currency_cny_eur", "zh", "1200 元人民币能换多少欧元？", ["convert_currency"],
     [call("convert_currency", amount=[1200], from_currency=["CNY"], to_currency=["EUR"])]),
    ("zh_flight_pvg_hnd", "zh", "帮我查一下 2026-10-01 从上海浦东（PVG）飞东京羽田（HND）的航班，1 位乘客，经济舱。", ["search_flights"],
     [call("search_flights", origin=["PVG"], destination=["HND"], date=["2026-10-01"], passengers=[1, None],
           cabin=["economy", None])]),
    ("zh_package_sf", "zh", "查一下顺丰快递单号 SF1408823570123 现在到哪了。", ["track_package"],
     [call("track_package", tracking_number=["SF1408823570123"], carrier=["sf_express"])]),
    ("zh_thermostat", "zh", "把客厅的空调调成制冷模式，温度设到 24 度。", ["set_thermostat"],
     [call("set_thermostat", room=ZH_LIVING, temperature_celsius=[24], mode=["cool"])]),
    ("zh_distance", "zh", "北京到上海的公路距离是多少公里？", ["get_distance"],
     [call("get_distance", origin=["北京", "北京市", "Beijing"], destination=["上海", "上海市", "Shanghai"], unit=["km", None])]),
    ("zh_define_word", "zh", "请查一下英文单词 serendipity 在英文词典里的释义。", ["define_word"],
     [call("define_word", word=["serendipity"], language=[None, "en"])]),
]

MULTIPLE = [
    ("forecast_seattle", "en", "Will I need an umbrella in Seattle over the next 3 days?",
     ["get_weather", "get_forecast", "get_air_quality"],
     [call("get_forecast", city=["Seattle", "Seattle, WA", "Seattle, Washington"], days=[3])]),
    ("units_marathon", "en", "Convert 42.195 kilometres to miles.", ["convert_currency", "convert_units"],
     [call("convert_units", value=[42.195], from_unit=["km"], to_unit=["mi"])]),
    ("hotel_kyoto", "en", "Book a hotel in Kyoto for 2 guests, checking in on 2026-11-20 and out on 2026-11-23.",
     ["search_flights", "book_hotel", "find_restaurants"],
     [call("book_hotel", city=["Kyoto"], check_in=["2026-11-20"], check_out=["2026-11-23"], guests=[2], rooms=[None, 1])]),
    ("timezone_new_york", "en", "When it's 09:00 in New York, what time is it in Singapore?",
     ["get_weather", "convert_timezone", "set_alarm"],
     [call("convert_timezone", time=["09:00"], from_timezone=["America/New_York"], to_timezone=["Asia/Singapore"])]),
    ("lights_dim", "en", "Dim the bedroom lights to 30%.", ["set_thermostat", "set_lights", "play_music"],
     [call("set_lights", room=["bedroom"], on=[True], brightness_percent=[30])]),
    ("showtimes", "en", "When is \"The Quiet Orbit\" showing in Manchester on 2026-05-09?",
     ["get_movie_showtimes", "find_restaurants", "book_hotel"],
     [call("get_movie_showtimes", city=["Manchester"], movie_title=["The Quiet Orbit"], date=["2026-05-09"])]),
    ("restaurants_thai", "en", "Find Thai restaurants in Melbourne that are open now, nothing above price level 2.",
     ["find_restaurants", "search_recipes"],
     [call("find_restaurants", city=["Melbourne"], cuisine=["Thai"], max_price_level=[2], open_now=[True])]),
    ("event_with_attendees", "en",
     "Schedule \"Design critique\" on 2026-06-18 at 10:00 for 60 minutes and invite ana@example.com and li@example.com.",
     ["send_email", "create_calendar_event", "create_reminder"],
     [call("create_calendar_event", title=["Design critique"], date=["2026-06-18"], start_time=["10:00"], duration_minutes=[60],
           attendees=[["ana@example.com", "li@example.com"], ["li@example.com", "ana@example.com"]])]),
    ("population_brazil", "en", "What was the population of Brazil in 2020?",
     ["get_population", "get_public_holidays", "get_stock_price"],
     [call("get_population", country=["Brazil"], year=[2020])]),
    ("music_debussy", "en", "Play Clair de Lune by Debussy.", ["play_music", "set_alarm"],
     [call("play_music", song=["Clair de Lune"], artist=["Debussy", "Claude Debussy"], shuffle=[None, False])]),
    ("air_quality_delhi", "en", "Is the air in Delhi clean enough to go for a run today?",
     ["get_weather", "get_air_quality", "get_forecast"],
     [call("get_air_quality", city=["Delhi", "New Delhi"])]),
    ("zh_hotel_hangzhou", "zh", "帮我在杭州订酒店，2026-04-05 入住，2026-04-07 退房，3 个人，两间房。", ["book_hotel", "search_flights"],
     [call("book_hotel", city=["杭州", "杭州市", "Hangzhou"], check_in=["2026-04-05"], check_out=["2026-04-07"], guests=[3], rooms=[2])]),
    ("zh_translate_english", "zh", "把“今天的会议改到下午三点”翻译成英文。", ["translate_text", "define_word", "send_email"],
     [call("translate_text", text=["今天的会议改到下午三点"], target_language=["en"], source_language=[None, "zh"])]),
    ("zh_alarm_once", "zh", "设一个明天早上 07:30 的闹钟，标签写“起床”，只响一次。",
     ["set_alarm", "create_reminder", "create_calendar_event"],
     [call("set_alarm", time=["07:30"], label=["起床"], repeat=["once", None])]),
    ("zh_holidays_japan", "zh", "日本 2026 年有哪些法定节假日？", ["get_public_holidays", "get_population"],
     [call("get_public_holidays", country_code=["JP"], year=[2026])]),
    ("zh_units_gallons", "zh", "5 加仑等于多少升？", ["convert_units", "convert_currency", "calculate_tip"],
     [call("convert_units", value=[5], from_unit=["gal"], to_unit=["l"])]),
]

PARALLEL = [
    ("weather_two_cities", "en", "What's the weather in Oslo and in Madrid right now?", ["get_weather"],
     [call("get_weather", city=["Oslo"], unit=C), call("get_weather", city=["Madrid"], unit=C)]),
    ("stocks_three", "en", "Get me the current prices of AAPL, MSFT and TSLA.", ["get_stock_price"],
     [call("get_stock_price", symbol=[s]) for s in ("AAPL", "MSFT", "TSLA")]),
    ("currency_two_targets", "en", "Convert 80 euros to US dollars, and 80 euros to British pounds.", ["convert_currency"],
     [call("convert_currency", amount=[80], from_currency=["EUR"], to_currency=[c]) for c in ("USD", "GBP")]),
    ("weather_and_currency", "en",
     "I'm flying to Toronto tomorrow. What's the weather there now, and how much is 300 US dollars in Canadian dollars?",
     ["get_weather", "convert_currency"],
     [call("get_weather", city=["Toronto"], unit=C), call("convert_currency", amount=[300], from_currency=["USD"], to_currency=["CAD"])]),
    ("lights_off_two_rooms", "en", "Turn off the lights in the kitchen and in the hallway.", ["set_lights"],
     [call("set_lights", room=[r], on=[False], brightness_percent=[None, 0]) for r in ("kitchen", "hallway")]),
    ("packages_two", "en", "Track these two parcels: UPS 1Z999AA10123456784 and FedEx 449044304137821.", ["track_package"],
     [call("track_package", tracking_number=["1Z999AA10123456784"], carrier=["ups"]),
      call("track_package", tracking_number=["449044304137821"], carrier=["fedex"])]),
    ("distance_and_forecast", "en", "What's the road distance from Munich to Vienna in km, and the 5-day forecast for Vienna?",
     ["get_distance", "get_forecast", "get_weather"],
     [call("get_distance", origin=["Munich", "München"], destination=["Vienna", "Wien"], unit=["km", None]),
      call("get_forecast", city=["Vienna", "Wien"], days=[5])]),
    ("holidays_two_countries", "en", "Which public holidays do France and Italy have in 2026?", ["get_public_holidays"],
     [call("get_public_holidays", country_code=[c], year=[2026]) for c in ("FR", "IT")]),
    ("bmi_two_people", "en", "Compute the BMI of two people: Ana, 58 kg and 1.64 m; Ben, 91 kg and 1.83 m.", ["calculate_bmi"],
     [call("calculate_bmi", weight_kg=[58], height_m=[1.64]), call("calculate_bmi", weight_kg=[91], height_m=[1.83])]),
    ("zh_weather_two_cities", "zh", "广州和深圳现在的天气分别怎么样？", ["get_weather"],
     [call("get_weather", city=["广州", "广州市", "Guangzhou"], unit=C), call("get_weather", city=["深圳", "深圳市", "Shenzhen"], unit=C)]),
    ("zh_stocks_two", "zh", "帮我查一下 BABA 和 BIDU 这两只股票的最新价格。", ["get_stock_price"],
     [call("get_stock_price", symbol=["BABA"]), call("get_stock_price", symbol=["BIDU"])]),
    ("zh_bedroom_lights_heat", "zh", "把卧室的灯关掉，再把卧室的温度调到 20 度。", ["set_lights", "set_thermostat"],
     [call("set_lights", room=ZH_BEDROOM, on=[False], brightness_percent=[None, 0]),
      call("set_thermostat", room=ZH_BEDROOM, temperature_celsius=[20], mode=[None, "heat", "auto"])]),
    ("zh_translate_two_languages", "zh", "把“谢谢”分别翻译成日语和韩语。", ["translate_text"],
     [call("translate_text", text=["谢谢"], target_language=[lang], source_language=[None, "zh"]) for lang in ("ja", "ko")]),
    ("zh_tip_and_currency", "zh", "账单是 360 元，按 15% 给小费，三个人平摊；另外把 100 美元换算成人民币。",
     ["calculate_tip", "convert_currency"],
     [call("calculate_tip", bill_amount=[360], tip_percent=[15], people=[3]),
      call("convert_currency", amount=[100], from_currency=["USD"], to_currency=["CNY"])]),
]

IRRELEVANCE = [
    ("haiku", "en", "Write a haiku about the first snow of winter.", ["get_weather"]),
    ("capital_of_australia", "en", "What is the capital city of Australia?", ["get_stock_price", "get_population"]),
    ("multiplication", "en", "What is 17 multiplied by 23?", ["convert_currency", "calculate_tip"]),
    ("roman_empire", "en", "Why did the Roman Empire split into an eastern and a western half?", ["get_public_holidays"]),
    ("fewer_or_less", "en", "Should I say \"fewer people\" or \"less people\"?", ["translate_text"]),
    ("flight_status", "en", "Has flight BA117 landed yet?", ["search_flights", "book_hotel"]),
    ("baking_soda", "en", "What is the difference between baking soda and baking powder?", ["search_recipes"]),
    ("bmi_history", "en", "What does BMI stand for, and who came up with it?", ["calculate_bmi"]),
    ("china_one_timezone", "en", "Why does China use a single time zone?", ["convert_timezone"]),
    ("zh_autumn_poem", "zh", "写一句关于秋天的诗。", ["get_weather", "get_air_quality"]),
    ("zh_idiom", "zh", "“画蛇添足”这个成语是什么意思？", ["translate_text", "send_email"]),
    ("zh_triangle", "zh", "三角形的内角和是多少度？", ["calculate_bmi", "convert_units"]),
    ("zh_lost_parcel", "zh", "快递丢了一般应该怎么索赔？给我一些建议。", ["track_package"]),
    ("zh_major_minor", "zh", "大调和小调听起来有什么区别？", ["play_music"]),
]


def item(stratum: str, slug: str, lang: str, prompt: str, tools: list[str], expected: list[dict[str, Any]]) -> dict[str, Any]:
    """One item: a single user turn, both protocols, the tools offered and the calls expected."""
    return {
        "id": f"fc.{stratum}.{slug}", "family": "function_calling", "stratum": stratum, "lang": lang,
        "messages": [{"role": "user", "content": prompt}], "tools": [TOOLS[name] for name in tools],
        "max_tokens": MAX_TOKENS, "protocols": ["openai", "anthropic"], "requires": ["tools"],
        "grader": {"type": "tool_calls", "expected": expected},
    }


def family() -> dict[str, Any]:
    """The whole file's content."""
    strata = {"simple": SIMPLE, "multiple": MULTIPLE, "parallel": PARALLEL, "irrelevance": [(*i, []) for i in IRRELEVANCE]}
    return {
        "family": "function_calling",
        "description": "Single-turn function calling: given tools and one request, the first assistant turn makes exactly the "
                       "right calls (name, arguments, types, values) or, when no tool applies, none.",
        "sources": [
            {"name": "Berkeley Function-Calling Leaderboard", "url": "https://gorilla.cs.berkeley.edu/leaderboard.html",
             "what": "The categories simple, multiple, parallel (and parallel multiple) and irrelevance detection."},
            {"name": "BFCL evaluation code", "url": "https://github.com/ShishirPatil/gorilla/tree/main/berkeley-function-call-leaderboard",
             "what": "AST matching against possible answers: acceptable values per parameter, an empty-string marker for optional "
                     "ones, type rules (an int where a float is declared), order-free matching of parallel calls."},
        ],
        "generator": "evals/generate_function_calling.py",
        "items": [item(stratum, *spec) for stratum, specs in strata.items() for spec in specs],
    }


def text() -> str:
    """The file's exact text."""
    return json.dumps(family(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
