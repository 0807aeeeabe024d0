//! Virtual memory: mapping pages and paging structures, rights, faults, large pages.
