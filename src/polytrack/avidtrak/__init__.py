"""AvidTrak REST web service (/webservice/api.php): pincode auth, {code, status, data} as JSON or XML."""

from polytrack.apis import conventional_package, lazy

package = conventional_package("avidtrak", background_tasks=lazy("polytrack.avidtrak.daily_email:background_tasks"))
