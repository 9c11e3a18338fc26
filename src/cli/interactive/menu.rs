//! The menu's entries: the original's (its `MENU_OPTIONS`, in its order, with its labels),
//! then ours; plain labels where colour and emoji are unwelcome.

/// One entry of the main menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Create,
    List,
    Start,
    Pause,
    Stop,
    Delete,
    Status,
    Resources,
    Chassis,
    Resume,
    Clock,
    RunTicks,
    Transcription,
    Packages,
    Script,
    Timeline,
    Save,
    Trace,
    Exit,
}

impl Entry {
    /// Every entry, in the menu's order: the original's nine, ours, then Exit.
    pub const ALL: [Entry; 19] = [
        Entry::Create,
        Entry::List,
        Entry::Start,
        Entry::Pause,
        Entry::Stop,
        Entry::Delete,
        Entry::Status,
        Entry::Resources,
        Entry::Chassis,
        Entry::Resume,
        Entry::Clock,
        Entry::RunTicks,
        Entry::Transcription,
        Entry::Packages,
        Entry::Script,
        Entry::Timeline,
        Entry::Save,
        Entry::Trace,
        Entry::Exit,
    ];

    /// The label: the original's emoji and words, or a plain one of the same words.
    pub fn label(self, plain: bool) -> String {
        let (emoji, words) = match self {
            Entry::Create => ("🏭", "Create Biological VM"),
            Entry::List => ("🖥️", "List Active VMs"),
            Entry::Start => ("▶️", "Start VM"),
            Entry::Pause => ("⏸️", "Pause VM"),
            Entry::Stop => ("⏹️", "Stop VM"),
            Entry::Delete => ("🗑️", "Delete VM"),
            Entry::Status => ("📊", "VM Status & Metrics"),
            Entry::Resources => ("⚙️", "Resource Management"),
            Entry::Chassis => ("🧬", "Chassis Selection"),
            Entry::Resume => ("⏯️", "Resume VM"),
            Entry::Clock => ("⏱️", "Run or pause the clock"),
            Entry::RunTicks => ("⏩", "Run N ticks or a simulated duration"),
            Entry::Transcription => ("🔬", "Transcription and operons"),
            Entry::Packages => ("📦", "Install a package and set inducers"),
            Entry::Script => ("📜", "Run a process script"),
            Entry::Timeline => ("🗓️", "Timeline"),
            Entry::Save => ("💾", "Save session as a scenario"),
            Entry::Trace => ("🎞️", "Record a trace"),
            Entry::Exit => ("🚪", "Exit"),
        };
        if plain { words.to_string() } else { format!("{emoji} {words}") }
    }
}

/// A menu line: the entry and how it reads.
pub struct Line {
    pub entry: Entry,
    pub text: String,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether to draw plain: `NO_COLOR` set (to anything), or `TERM=dumb`.
pub fn plain() -> bool {
    std::env::var_os("NO_COLOR").is_some() || std::env::var("TERM").is_ok_and(|t| t == "dumb")
}
