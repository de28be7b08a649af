// SPDX-License-Identifier: GPL-2.0

//! `/proc/task_diag`: a binary, transactional interface to task information.
//!
//! A client writes one request (which tasks, which attribute groups) and reads
//! back a stream of netlink-format messages, one per task. This first version
//! only registers the file: a read returns end of file, and every request is
//! refused with `EINVAL` until the request parser lands.

use kernel::{
    c_str,
    fs::File,
    prelude::*,
    proc_fs::{ProcFile, Registration},
    uaccess::{UserSliceReader, UserSliceWriter},
};

module! {
    type: TaskDiagModule,
    name: "task_diag",
    author: "task_diag developers",
    description: "/proc/task_diag: binary task information",
    license: "GPL",
}

struct TaskDiagModule {
    _entry: Registration<TaskDiag>,
}

impl kernel::Module for TaskDiagModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _entry: Registration::register(c_str!("task_diag"), 0o666)?,
        })
    }
}

/// The state of one open `/proc/task_diag`.
struct TaskDiag;

#[vtable]
impl ProcFile for TaskDiag {
    fn open(_file: &File) -> Result<Pin<KBox<Self>>> {
        Ok(KBox::pin(TaskDiag, GFP_KERNEL)?)
    }

    fn read(_this: Pin<&Self>, _file: &File, _writer: &mut UserSliceWriter) -> Result<usize> {
        Ok(0)
    }

    fn write(_this: Pin<&Self>, _file: &File, _reader: &mut UserSliceReader) -> Result<usize> {
        Err(EINVAL)
    }
}
