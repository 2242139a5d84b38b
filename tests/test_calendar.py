import datetime as dt

from engine.calendar import PeriodCalendar, add_months
from engine.scenario import Calendar


def cal(**kw) -> PeriodCalendar:
    return PeriodCalendar(Calendar.model_validate({"start": "2027-04-05", "periods": 4, **kw}))


def test_weeks_are_seven_days_from_the_start():
    c = cal()
    assert c.first_day(1) == dt.date(2027, 4, 12)
    assert c.last_day(3) == dt.date(2027, 5, 2)
    assert c.period_of(dt.date(2027, 4, 18)) == 1
    assert c.period_of(dt.date(2027, 4, 4)) == -1
    assert c.period_of(dt.date(2027, 5, 3)) == 4


def test_months_step_from_the_original_start_and_clamp_the_day():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 1, 31), 2) == dt.date(2027, 3, 31)
    assert add_months(dt.date(2027, 11, 15), 3) == dt.date(2028, 2, 15)
    c = cal(start="2027-01-31", period="month")
    assert c.starts[:4] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
    ]
    assert c.last_day(0) == dt.date(2027, 2, 27)


def test_working_days_count_mondays_to_fridays():
    c = cal(start="2027-04-01", period="month")  # April 2027 has 22 weekdays, May 21
    assert c.working_days.tolist()[:2] == [22, 21]
    assert cal().working_days.tolist() == [5, 5, 5, 5]


def test_leave_split_across_period_boundaries():
    c = cal()  # weeks start on Mondays 5, 12, 19, 26 April
    days = c.leave_days(dt.date(2027, 4, 8), dt.date(2027, 4, 20))  # Thu..Tue of next-but-one week
    assert days.tolist() == [2, 5, 2, 0]


def test_leave_outside_the_horizon_is_ignored():
    c = cal()
    assert c.leave_days(dt.date(2026, 12, 1), dt.date(2027, 4, 6)).tolist() == [2, 0, 0, 0]
    assert c.leave_days(dt.date(2027, 5, 1), dt.date(2027, 6, 1)).sum() == 0


def test_dates_and_period_numbers_resolve_alike():
    c = cal()
    assert c.resolve(dt.date(2027, 4, 14)) == c.resolve(1) == 1


def test_financial_year_of_a_period_uses_its_first_day():
    c = cal(start="2028-03-27", periods=3)  # weeks from 27 Mar, 3 Apr, 10 Apr
    assert [c.financial_year(t) for t in range(3)] == [2027, 2028, 2028]
    assert (
        PeriodCalendar(
            Calendar.model_validate({"start": "2027-12-27", "periods": 2, "year_start": "01-01"})
        ).financial_year(1)
        == 2028
    )
