fn main() {
    use std::mem::size_of;
    println!("Event {}", size_of::<tijdreg::ledger::Event>());
    println!("Recorded {}", size_of::<tijdreg::ledger::Recorded>());
    println!("Command {}", size_of::<tijdreg::ledger::Command>());
    println!("Envelope {}", size_of::<tijdreg::ledger::Envelope>());
    println!("Error {}", size_of::<tijdreg::Error>());
    println!("Session {}", size_of::<tijdreg::session::Session>());
    println!("Interval {}", size_of::<tijdreg::session::Interval>());
    println!("ParticipantRecord {}", size_of::<tijdreg::session::ParticipantRecord>());
}
