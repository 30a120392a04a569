"""``GET /{prefix}/__api__/docs``: Swagger UI on the description, assets served locally."""
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet._service import Service

# Relative URLs: the page works whatever the version prefix or mount point.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>API explorer</title>
  <link rel="stylesheet" href="assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "../__api__",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null
    });
  </script>
</body>
</html>
""".encode("utf-8")

explorer = Service(name="openapi-explorer", path="/__api__/docs", description="API explorer")


@explorer.get(permission=NO_PERMISSION_REQUIRED)
def get_explorer(request):
    """Swagger UI, to read the description and try the endpoints from a browser."""
    return Response(body=PAGE, content_type="text/html", charset="UTF-8")
