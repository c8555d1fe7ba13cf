"""Simulated official warnings (CAP 1.2) for the embedded default: what a provincial
hydro-meteorological station sends Huế over a year. **Simulated**: the sender is
``mo-phong.ioc.hue`` and every message's note says so; the IOC's own CAP feed marks the
family's alerts as Test (:mod:`ioc.cap_export`).

Basis (documented orders of magnitude, not published counts): Huế's rainy season runs from
September to December, with most floods on the Hương and Bồ rivers in October and November;
summer brings thunderstorms. A local day starts a warning with probability
:data:`START_PER_DAY` of its month. A warning is one of :data:`EVENTS` (weighted by season),
sent between 06:00 and 18:00 local time, in force 12–36 hours; a third are upgraded by an
Update 6–12 hours later (one severity step up) and a fifth are cancelled early by a Cancel. Each day is
planned from the seed alone, so the same seed gives the same year.

Each message carries two ``info`` blocks, ``vi-VN`` and ``en-US``, as the national centre's
bulletins do: event, headline, area, description and instruction each written in its language
(the descriptions start by saying the data are simulated).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from data_sources.simulation import local_date, local_days, run_now
from ioc.cap import Area, CapAlert, Circle, Info, Reference
from ioc.sources import Batch, Collector

SENDER = "mo-phong.ioc.hue"
NOTE = "Dữ liệu mô phỏng (simulated data)"
#: chance that a local day starts a warning, by month
START_PER_DAY = {1: 0.01, 2: 0.01, 3: 0.01, 4: 0.02, 5: 0.03, 6: 0.03, 7: 0.03, 8: 0.04, 9: 0.05, 10: 0.09,
                 11: 0.09, 12: 0.04}
UPGRADED = 0.35  # share of warnings upgraded by an Update
CANCELLED = 0.2  # share cancelled early
LIVE_DAYS = 3  # a live run sends the messages of the last days again (the store finds them unchanged)
SEVERITY_UP = {"Minor": "Moderate", "Moderate": "Severe", "Severe": "Extreme", "Extreme": "Extreme"}
CITY_RING = ((16.80, 107.00), (16.80, 108.25), (15.95, 108.25), (15.95, 107.00), (16.80, 107.00))


@dataclass(frozen=True)
class Event:
    code: str
    vi: str
    en: str
    severity: str
    certainty: str
    area_vi: str
    area_en: str
    circle: tuple[float, float, float] | None  # lat, lon, radius km; None: the whole city
    rainy: bool  # a rainy-season event (else a summer one)
    description_vi: str  # the situation, without the "simulated" opening (SIMULATED)
    description_en: str
    instruction_vi: str
    instruction_en: str


EVENTS = (
    Event("heavy_rain", "Mưa lớn", "Heavy rain", "Moderate", "Likely", "Thành phố Huế", "Huế city", None, True,
          "Mưa vừa, mưa to, có nơi mưa rất to; lượng mưa 24 giờ phổ biến 100–200 mm.",
          "Moderate to heavy rain, very heavy in places; 24-hour rainfall mostly 100–200 mm.",
          "Đề phòng ngập úng ở vùng trũng, lũ quét và sạt lở đất ở vùng núi.",
          "Beware of flooding in low-lying areas, and of flash floods and landslides in the mountains."),
    Event("flood_huong", "Lũ trên sông Hương", "Flood on the Hương river", "Severe", "Likely",
          "Sông Hương tại Kim Long", "Hương river at Kim Long", (16.4617, 107.5589, 12.0), True,
          "Mực nước sông Hương tại Kim Long đang lên, có khả năng vượt mức báo động II.",
          "The Hương river at Kim Long is rising and may exceed alarm level II.",
          "Theo dõi mực nước; chuẩn bị sơ tán người dân vùng trũng ven sông.",
          "Watch the water level; prepare to evacuate residents of low-lying riverside areas."),
    Event("flood_bo", "Lũ trên sông Bồ", "Flood on the Bồ river", "Severe", "Likely", "Sông Bồ tại Phú Ốc",
          "Bồ river at Phú Ốc", (16.5390, 107.4720, 12.0), True,
          "Mực nước sông Bồ tại Phú Ốc đang lên, có khả năng vượt mức báo động II.",
          "The Bồ river at Phú Ốc is rising and may exceed alarm level II.",
          "Theo dõi mực nước; chuẩn bị sơ tán người dân vùng trũng ven sông.",
          "Watch the water level; prepare to evacuate residents of low-lying riverside areas."),
    Event("storm", "Áp thấp nhiệt đới", "Tropical depression", "Severe", "Possible", "Vùng biển và đất liền Huế",
          "Huế's sea and land", None, True,
          "Áp thấp nhiệt đới trên Biển Đông có khả năng mạnh lên; gió mạnh cấp 6–7, giật cấp 9, biển động.",
          "A tropical depression over the East Sea may strengthen; winds of force 6–7, gusts of force 9, "
          "rough sea.",
          "Tàu thuyền không ra khơi; tàu đang hoạt động trên biển khẩn trương vào nơi tránh trú.",
          "Vessels must not put to sea; those at sea must make for shelter at once."),
    Event("thunderstorm", "Dông, lốc, sét", "Thunderstorms, whirlwinds and lightning", "Moderate", "Possible",
          "Thành phố Huế", "Huế city", None, False,
          "Chiều và tối có dông, kèm theo lốc, sét, mưa đá và gió giật mạnh.",
          "Thunderstorms in the afternoon and evening, with whirlwinds, lightning, hail and strong gusts.",
          "Không trú dưới cây cao, cột điện; chằng chống nhà cửa.",
          "Do not shelter under tall trees or power poles; secure roofs."),
)
#: what every simulated description starts with, in each language
SIMULATED = {"vi": "Dữ liệu mô phỏng.", "en": "Simulated data."}


def _utc(day: date, hour: float, tz) -> datetime:  # noqa: ANN001 - a ZoneInfo
    local = datetime.combine(day, time(0), tzinfo=tz) + timedelta(hours=hour)
    return local.astimezone(UTC)


def _info(lang: str, event: Event, severity: str, urgency: str, sent: datetime, expires: datetime) -> Info:
    vi = lang == "vi"
    lat_lon_r = event.circle
    area = Area(event.area_vi if vi else event.area_en,
                polygons=() if lat_lon_r else (CITY_RING,),
                circles=(Circle(*lat_lon_r),) if lat_lon_r else (),
                geocodes=(("VN_ADMIN_CODE", "46"),))
    name = event.vi if vi else event.en
    return Info(language="vi-VN" if vi else "en-US", categories=("Met",), event=name, urgency=urgency,
                severity=severity, certainty=event.certainty, effective=sent, onset=sent, expires=expires,
                sender_name="Mô phỏng — Đài KTTV" if vi else "Simulated hydro-meteorological station",
                headline=(f"[Mô phỏng] Cảnh báo {name[0].lower()}{name[1:]}" if vi else f"[Simulated] {name} warning"),
                description=f"{SIMULATED[lang]} {event.description_vi if vi else event.description_en}",
                instruction=event.instruction_vi if vi else event.instruction_en, areas=(area,))


def _message(identifier: str, sent: datetime, msg_type: str, infos: tuple[Info, ...],
             references: tuple[Reference, ...] = ()) -> CapAlert:
    return CapAlert(identifier=identifier, sender=SENDER, sent=sent, status="Actual", msg_type=msg_type,
                    scope="Public", note=NOTE, references=references, infos=infos)


def day_messages(seed: int, day: date, tz) -> list[CapAlert]:  # noqa: ANN001 - a ZoneInfo
    """The messages a warning started on local ``day`` gives (none on most days)."""
    rng = np.random.default_rng([seed, 4242, day.toordinal()])
    if rng.random() >= START_PER_DAY[day.month]:
        return []
    rainy = day.month >= 9
    choices = [e for e in EVENTS if e.rainy == rainy]
    event = choices[int(rng.integers(len(choices)))]
    sent = _utc(day, float(rng.uniform(6, 18)), tz)
    expires = sent + timedelta(hours=float(rng.uniform(12, 36)))
    urgency = "Expected"
    ident = f"{SENDER}.{day:%Y%m%d}.{event.code}"
    infos = tuple(_info(lang, event, event.severity, urgency, sent, expires) for lang in ("vi", "en"))
    out = [_message(ident, sent, "Alert", infos)]
    last = out[0]
    if rng.random() < UPGRADED:  # upgraded: one step up, in force as long again from the update
        at = sent + timedelta(hours=float(rng.uniform(6, 12)))
        severity = SEVERITY_UP[event.severity]
        until = at + (expires - sent)
        up = tuple(_info(lang, event, severity, "Immediate", at, until) for lang in ("vi", "en"))
        last = _message(f"{ident}.update", at, "Update", up, (Reference(SENDER, ident, sent),))
        out.append(last)
        expires = until
    if rng.random() < CANCELLED:  # cancelled before it would have expired
        at = last.sent + (expires - last.sent) * float(rng.uniform(0.3, 0.8))
        out.append(_message(f"{ident}.cancel", at, "Cancel", last.infos, (Reference(SENDER, last.identifier, last.sent),)))
    return out


def messages_between(seed: int, start: date, end: date, now: datetime, tz) -> list[CapAlert]:  # noqa: ANN001
    """The messages of warnings started on local days ``[start, end)`` that were sent by ``now`` (naive UTC)."""
    cut = now.replace(tzinfo=UTC)
    return [m for day in local_days(start, end) for m in day_messages(seed, day, tz) if m.sent <= cut]


class WarningsSimulator(Collector):
    """Simulated CAP warnings (see the module docstring). Options: ``seed`` (default 2023),
    ``now`` (ISO, for tests)."""

    type = "simulator"
    family = "warnings"
    simulated = True

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = run_now(self.spec)
        today = local_date(now, self.ctx.tz)
        records = messages_between(seed, today - timedelta(days=days), today + timedelta(days=1), now, self.ctx.tz)
        yield Batch(records=records, fetched=len(records))

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        now = run_now(self.spec)
        today = local_date(now, self.ctx.tz)
        seed = int(self.spec.option("seed", 2023))
        records = messages_between(seed, today - timedelta(days=LIVE_DAYS), today + timedelta(days=1), now,
                                   self.ctx.tz)
        yield Batch(records=records, fetched=len(records), watermark=now.isoformat())
