# The CalConnect "iMIP and Security issues" cases, each to its own folder
# for review: a reply from someone the organizer never invited (party
# crash, needs the organizer's stored copies: --calendar DIR or a
# CalendarLookup), a delegation the object does not confirm, and
# recurrence floods or events placed far in the future.
require ["imip", "fileinto", "mailbox"];

if imip :reason "party-crash" {
    fileinto :create "Review/Party-Crash";
} elsif imip :reason "delegation-unverified" {
    fileinto :create "Review/Delegation";
} elsif imip :reason ["recurrence-flood", "far-future"] {
    fileinto :create "Review/Recurrence";
}
