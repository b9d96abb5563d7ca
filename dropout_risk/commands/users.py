"""Commands of the users group: who may call the API, and their sign-in codes and sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dropout_risk.commands.serve import _open_store
from dropout_risk.console import console, err_console, fail

users_app = typer.Typer(help="Manage the people who may call the API.", no_args_is_help=True)


def users_add(
    name: Annotated[str, typer.Argument(help="The person's name (unique).")],
    role: Annotated[str, typer.Option(help="caseworker or researcher.")],
    scope: Annotated[
        str,
        typer.Option(
            help="What they may see: county:X, township:COUNTY/X, school:COUNTY/ID or all "
            "(township:X and school:ID when X is in one county only)."
        ),
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            help="Data folder whose schools table names the places (default: the latest batch)."
        ),
    ] = None,
) -> None:
    """Create a user and print their token once; only its hash is kept.

    The scope's place is checked against the data folder's schools (--data) or the latest
    batch, and stored with its county; an unknown or ambiguous name is refused.
    """
    from features.errors import UserError
    from serving.auth import Scope, parse_role
    from serving.store import places_from_data

    try:
        parsed_role = parse_role(role)
        parsed_scope = Scope.parse(scope)
        places = places_from_data(data) if data is not None else None
    except UserError as exc:
        fail(str(exc))
    store = _open_store()
    try:
        token = store.add_user(name, parsed_role, parsed_scope, places)
        stored = next(u.scope for u in store.users() if u.name == name)
    except UserError as exc:
        fail(str(exc))
    finally:
        store.close()
    err_console.print(
        f"Created {parsed_role} {name!r} with scope {stored}. "
        "The token is shown only now; keep it safe:"
    )
    print(token)


def users_remove(
    name: Annotated[str, typer.Argument(help="The user to remove.")],
) -> None:
    """Revoke a user's token: refused from the next request on; their audit rows stay."""
    from features.errors import UserError

    store = _open_store()
    try:
        store.remove_user(name)
    except UserError as exc:
        fail(str(exc))
    finally:
        store.close()
    err_console.print(f"Removed {name!r}: their token is refused from the next request on.")


def users_list() -> None:
    """Every user: name, role, scope, created, removed (never a token)."""
    store = _open_store()
    try:
        users = store.users()
    finally:
        store.close()
    if not users:
        err_console.print("No users yet: `dropout-risk users add NAME --role ... --scope ...`.")
        return
    for u in users:
        removed = f"removed {u.revoked_at:%Y-%m-%d %H:%M}" if u.revoked_at else "active"
        print(f"{u.name}\t{u.role}\t{u.scope}\tcreated {u.created_at:%Y-%m-%d}\t{removed}")


def users_code(
    name: Annotated[str, typer.Argument(help="Whose phone signs in with the code.")],
    by: Annotated[
        str, typer.Option(help="Who issues it (the county or township administrator).")
    ] = "county education bureau",
) -> None:
    """Issue a one-time sign-in code (10 minutes, once) for NAME's phone; older codes stop."""
    from features.errors import UserError
    from serving.signin import CODE_TTL, issue_code, pretty

    store = _open_store()
    try:
        code = issue_code(store.engine, name, by)
    except UserError as exc:
        fail(str(exc))
    finally:
        store.close()
    minutes = int(CODE_TTL.total_seconds() // 60)
    err_console.print(
        f"Sign-in code for {name!r}, valid once within {minutes} minutes. Read it to them "
        "in person or by phone; they type it on the page's sign-in screen:"
    )
    print(pretty(code))


def users_signout(
    name: Annotated[str, typer.Argument(help="Whose sessions and codes to revoke.")],
) -> None:
    """Sign NAME out on every phone at once (sessions and unused codes revoked)."""
    from features.errors import UserError
    from serving.signin import sign_out_everywhere

    store = _open_store()
    try:
        n = sign_out_everywhere(store.engine, name)
    except UserError as exc:
        fail(str(exc))
    finally:
        store.close()
    console.print(f"Signed {name!r} out: {n} session(s) revoked. Their API token still works.")


def register(app: typer.Typer) -> None:
    """Add the users group to the CLI."""
    users_app.command("add")(users_add)
    users_app.command("remove")(users_remove)
    users_app.command("list")(users_list)
    users_app.command("code")(users_code)
    users_app.command("signout")(users_signout)
    app.add_typer(users_app, name="users")
