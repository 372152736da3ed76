# Quarantine suspicious invitations, file the rest by iTIP method.
require ["imip", "fileinto", "variables"];
if imip :suspicious { fileinto "Junk"; stop; }
if imip :matches :method "*" { fileinto "Calendar/${1}"; }
