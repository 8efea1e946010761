"""AvidTrak REST web service (/webservice/api.php): pincode auth, {code, status, data} as JSON or XML."""

from polytrack.apis import conventional_package

package = conventional_package("avidtrak")
