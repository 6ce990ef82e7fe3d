"""Run by drill.py after seed_demo: a working day's activity on top of the demo data, so that the drill
backs up what a real installation holds — uploaded files (PDF, PNG) on people, a finished background
export (a file under MEDIA_ROOT/exports), edits (change history), logins and reveals (audit rows).

    DATABASE_URL=… MEDIA_ROOT=… python tests/drill/activity.py [N]      # N attachments (default 40)
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicecenter.settings")
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402

from servicecenter import access, audit, exportjobs, people  # noqa: E402
from servicecenter.attachments import attachment_add  # noqa: E402
from servicecenter.models import Person, User  # noqa: E402


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed * 37 % 256, seed * 91 % 256, seed * 13 % 256)).save(out, "PNG")
    return out.getvalue()


def main(n: int) -> None:
    clerk = User.objects.get(username="s11_clerk")
    supervisor = User.objects.get(username="d1_sup")
    mine = list(access.visible(Person.objects.all(), clerk).order_by("pk")[:n])
    for i, person in enumerate(mine):
        if i % 2:
            upload = SimpleUploadedFile(f"证件{i}.png", png(i), content_type="image/png")
        else:
            body = (f"%PDF-1.4\n% drill {i}\n" + "x" * (2000 + 97 * i) + "\n%%EOF\n").encode()
            upload = SimpleUploadedFile(f"材料{i}.pdf", body, content_type="application/pdf")
        attachment_add(by=clerk, owner=person, upload=upload)
        if i % 5 == 0:
            people.person_update(by=clerk, person=person, address=f"绍兴市演练路{i}号")
        if i % 7 == 0:
            people.person_reveal_id(by=supervisor, person=person)
    for user in (clerk, supervisor):
        audit.record(audit.Event.LOGIN, user=user, detail="drill")
    job = exportjobs.export_job_enqueue(user=supervisor, source=exportjobs.PERSON_EXPORT, query="")
    rows = exportjobs.export_job_run(job.pk)
    print(f"activity: {len(mine)} attachments, {len(mine[::5])} edits, {len(mine[::7])} reveals, "
          f"a background export of {rows} rows")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
