"""mapp: placeholder until its package is built (walking-skeleton issue)."""

from polytrack.apis import ApiPackage

package = ApiPackage(
    name="mapp",
    import_tables=lambda: None,
    routes=lambda services: [],
    seed_demo=lambda services, conn: None,
    demo_credentials=lambda base_url: {},
)
