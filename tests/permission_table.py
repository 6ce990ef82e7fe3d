"""Who may do what, written from DOMAIN.md §1 (not copied from the declarations): the expected side
of the generated permission matrix (tests/core/test_permissions.py). Each app adds its rows here
when it declares permissions; a declared permission missing here, or a row here that nothing
declares, fails the matrix test.

DOMAIN §1: the counter clerk and the station worker log and handle matters; the supervisor
(分管主席/中心主任) approves and sees escalations; the accountant and the cashier keep the funds
(nothing else); the auditor reads everything and exports registers, changes nothing; the system
admin administers and sees no case data; the security auditor reads the audit log only.
"""

from servicecenter.roles import Role

C, W, S, A, K, AU, SYS, SEC = (Role.CLERK, Role.WORKER, Role.SUPERVISOR, Role.ACCOUNTANT, Role.CASHIER,
                               Role.AUDITOR, Role.SYSADMIN, Role.SECAUDIT)
COUNTER = {C, W, S}

EXPECTED: dict[str, set[Role]] = {
    # the core
    "view": {C, W, S, A, K, AU},
    "change": COUNTER,
    "export": {S, AU},
    "reveal": COUNTER,
    "administer": {SYS},
    "read_audit_log": {SEC},
    # monthly summaries (DOMAIN §1: the station worker files the monthly summary; the supervisor
    # 分管主席/中心主任 files the center's own and reviews those of the units below)
    "summary_file": {W, S},
    "summary_accept": {S},
    # 信访接待
    "petitions.intake": COUNTER,
    "petitions.handle": COUNTER,
    "petitions.tasks": COUNTER,
    "petitions.extend": {S},
    "petitions.reopen": {S},
    "petitions.acknowledge": {S},
    "petitions.review": {S},
    "petitions.export": {S, AU},
    # DOMAIN §3: linking an anonymous matter to a person, and logging a receipt older than the
    # allowed days back, are the supervisor's (分管主席/中心主任) — audited.
    "petitions.identify": {S},
    "petitions.backdate": {S},
    # 困难职工档案: the counter and the station apply, visit, review, post the notice and review
    # yearly; the supervisor of the district approves and the city's acknowledges; registers as usual.
    "hardship.apply": COUNTER,
    "hardship.handle": COUNTER,
    "hardship.approve": {S},
    "hardship.acknowledge": {S},
    "hardship.export": {S, AU},
    # 法律援助与劳动争议调解 (DOMAIN §5): the counter staff take consultations, applications and
    # mediations, keep the lawyers' register and assign lawyers once aid is granted; only the
    # supervisor decides (grants or refuses); the registers go to the supervisor and the auditor.
    "legalaid.consult": COUNTER,
    "legalaid.apply": COUNTER,
    "legalaid.handle": COUNTER,
    "legalaid.assign": COUNTER,
    "legalaid.advisors": COUNTER,
    "legalaid.mediate": COUNTER,
    "legalaid.decide": {S},
    "legalaid.export": {S, AU},
    # 就业援助 (DOMAIN §6: staff keep employers' papers, collect postings, recommend, train and run
    # fairs — the counter roles; the supervisor and the auditor export the registers)
    "jobs.manage": COUNTER,
    "jobs.verify": COUNTER,
    "jobs.seekers": COUNTER,
    "jobs.refer": COUNTER,
    "jobs.train": COUNTER,
    "jobs.export": {S, AU},
    # 帮扶资金与物资 (DOMAIN §1, §7): the counter staff apply for and verify relief; the supervisor
    # approves relief grants; the cashier pays (nobody else); the accountant keeps the fund budgets
    # and the ledger (money in, allocations, reversals); the fund ledger and the grant register go
    # to the supervisor, the accountant (reconciliation) and the auditor.
    "funds.apply": COUNTER,
    "funds.approve": {S},
    "funds.pay": {K},
    "funds.manage": {A},
    "funds.export": {S, A, AU},
}

# Permissions granted by the role alone, whatever unit the record sits in.
UNSCOPED = {"administer", "read_audit_log"}
