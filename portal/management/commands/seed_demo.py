from django.core.management.base import BaseCommand

from portal import demo


class Command(BaseCommand):
    help = "Load the bureaus, the four disciplines and demo people. Safe to run again."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--no-people", action="store_true", help="reference data only")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        disciplines = demo.load_disciplines()
        bureaus = demo.load_bureaus()
        self.stdout.write(f"disciplines: {len(disciplines)}, bureaus: {len(bureaus)}")
        if options["no_people"]:
            return
        people = demo.load_demo_people()
        self.stdout.write(f"demo people: {len(people) + 1} (password: {demo.demo_password()})")
        self.stdout.write(f"demo API tokens: {demo.load_demo_tokens()}")
        self._run_app_seeds()
        views = demo.load_report_views()
        self.stdout.write(f"report views: {views}")
        # saves index themselves on commit; the rebuild also covers rows the seeds wrote in bulk
        from portal import search_services

        indexed = search_services.rebuild()
        self.stdout.write(f"search index: {sum(indexed.values())} documents")

    def _run_app_seeds(self) -> None:
        """Apps with demo data of their own provide ``<app>.demo.seed(stdout)``."""
        from importlib import import_module

        from django.apps import apps

        for config in apps.get_app_configs():
            if config.name == "portal":
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            seed = getattr(module, "seed", None)
            if seed is not None:
                seed(self.stdout)
