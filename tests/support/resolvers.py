"""A resolver for tests: fixed answers, no network (application.destinations.Resolver)."""


class StaticResolver:
    """Answers the addresses it was given for a host; any other host does not resolve."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"{host} does not resolve here")
        return list(self.answers[host])
