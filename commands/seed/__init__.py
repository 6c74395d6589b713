"""Synthetic but realistic careers for one education area: the demo seed.

``seed_area`` fills a ledger with the teachers of one secondary education area (สพม.) over a
number of years, the way the area's orders would have produced them: each order of the area's
authority (an appointment list, a salary round, a transfer list …) is one signed submission,
and the registrar's own recordings (degrees, training, leave, skills, name changes,
decorations read from the gazette, corrections) are the registrar's submissions. The
simulation runs half-year by half-year between the salary rounds of 1 April and 1 October
(REFERENCE §3) and carries out each half-year's orders in effective-date order. The live
aggregates stay in memory from one order to the next: nothing is read back from the store.

Everything that ends up in events comes from one ``random.Random(seed)``: the same seed gives
the same event contents (the library's ``timestamp``, and the submissions' ids and signing
times, vary; they are not event content).

Simplifications, each chosen to keep the data plausible without pretending to a rule the
references do not give:

* The people in service at the start come with a short history: appointment as ครูผู้ช่วย
  (even before 2547, when that position did not exist yet), the move to ครู คศ.1 two years
  later, each standing they reached, and the move onto the salary table in force at the start,
  which carries their salary at the start. Rounds before the start are not synthesised; the
  earlier rows' salaries are set about 6 % a year lower, within the known ranges.
* ฐานในการคำนวณ (the base of a percentage raise) is NOT FOUND in the reference for teachers
  (§2.2): the current salary is used as the base. The appraisal shares and their percentage
  bands are invented.
* Where a salary range is NOT FOUND (คศ.4 in the 2558 table, anything before the first table
  known here) nothing is capped: the raise is given in full, and a person moving into such a
  rank keeps their salary. A salary that grew that way above the maximum of a table coming
  into force is brought down to it by the table move.
* A retiree gets no raise: REFERENCE §3 grants theirs on 30 September, which would put a
  round off 1 April / 1 October.
* Standing criteria follow the years in REFERENCE §4, switching from ว17/2552 to ว9/2564 on
  ``_assumptions.W9_FROM``; the years for เชี่ยวชาญ under ว9/2564 are NOT FOUND and borrowed
  from ชำนาญการพิเศษ.
* The decoration ladder and its waiting years, and every rate (leaving, transfers, leave,
  training, mistakes …) are plausible guesses, not figures from a source.

The package, by concern (each module private; this one is the public surface):

* ``_area``: ``seed_area`` and the orchestration, the incumbents then each half-year's plan;
* ``_orders``: the authority's orders (salary rounds, table moves, leaving, probation,
  standings, appointments, transfers, the renumbering, decorations, penalties);
* ``_registrar``: the registrar's recordings and the corrections of mistaken entries;
* ``_seeder``: the state they share and its plumbing (submitting, order numbers, new records);
* ``_drawing``, ``_model``, ``_books``: drawing people, the people, the area's books;
* ``_calendar``, ``_pay``: date and salary arithmetic;
* ``_vocabulary``, ``_assumptions``: the Thai words, and the invented figures.
"""

from __future__ import annotations

from commands.seed._area import seed_area
from commands.seed._books import SeedSummary

__all__ = ["SeedSummary", "seed_area"]
