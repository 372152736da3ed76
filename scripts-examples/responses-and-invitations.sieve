# Personal script: replies, cancellations and counter-proposals go to one
# folder marked read (the calendar client acts on them); invitations and
# published events to another; everything else stays in the inbox.
require ["imip", "fileinto", "imap4flags"];

if allof(imip :present,
         not imip :method ["REQUEST", "PUBLISH", "ADD"]) {
    addflag "\\Seen";
    fileinto "Calendar/Updates";
} elsif anyof(imip :method "REQUEST",
              imip :method "PUBLISH") {
    if imip :component "VTODO" {
        fileinto "Tasks";
    } else {
        fileinto "Calendar/Invitations";
    }
}
