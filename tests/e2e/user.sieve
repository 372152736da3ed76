# The user's own script: mail from a blocked domain refused, replies and
# cancellations apart, every other scheduling message with a method named
# below in one folder per iTIP method, created on first use.
require ["imip", "fileinto", "variables", "mailbox", "reject"];

if address :domain :is "from" "blocked.example" {
    reject "mail from blocked.example is refused";
    stop;
}

if imip :method "REPLY" {
    fileinto :create "Calendar/Replies";
    stop;
}

if imip :method "CANCEL" {
    fileinto :create "Calendar/Cancelled";
    stop;
}

# Only the methods named here make a folder: the sender chooses the METHOD.
if imip :method ["PUBLISH", "REQUEST", "ADD", "REFRESH", "COUNTER",
                 "DECLINECOUNTER"] {
    if imip :matches :method "*" {
        fileinto :create "Calendar/${1}";
        stop;
    }
}
