//! `<domains>`: the domain schedule, checked as Microkit checks it, and the
//! `domain` a protection domain names. Our kernel runs a single domain, so a
//! valid schedule is accepted with a warning and not enforced.

use std::collections::HashMap;

use roxmltree::Node;

use super::{parse_number, Parser};
use crate::error::Rule;
use crate::layout::{MAX_DOMAINS, MAX_DOMAIN_SCHEDULE};

impl<'a, 'input> Parser<'input, '_> {
    pub(super) fn domains(&mut self, node: Node<'a, 'input>) {
        if self.domains.is_some() {
            self.error(node, Rule::DomainsTwice);
            return;
        }
        let pos = self.pos(node);
        self.diag.warn("domains", pos, "domain scheduling is accepted but not enforced (the kernel runs one domain)".into());
        let mut declared: Vec<(&'a str, Option<u64>, Node<'a, 'input>)> = Vec::new();
        let mut schedules = Vec::new();
        for child in self.check_shape(node, &[]) {
            match child.tag_name().name() {
                "domain" => {
                    self.check_leaf(child, &["name", "id"]);
                    if let Some(name) = self.required(child, "name") {
                        declared.push((name, self.number(child, "id"), child));
                    }
                }
                "domain_schedule" => schedules.push(child),
                other => self.error(child, Rule::UnknownElement(other.to_string())),
            }
        }

        let mut names: HashMap<&str, ()> = HashMap::new();
        let mut ids: HashMap<u64, &str> = HashMap::new();
        for &(name, id, child) in &declared {
            if names.insert(name, ()).is_some() {
                self.error(child, Rule::DuplicateDomainName(name.to_string()));
            }
            match id {
                Some(id) if id >= MAX_DOMAINS => self.error(child, Rule::DomainIdRange(id)),
                Some(id) => {
                    if let Some(other) = ids.insert(id, name) {
                        self.error(child, Rule::DuplicateDomainId { id, other: other.to_string() });
                    }
                }
                None => {}
            }
        }
        // Domains without an id take the lowest free ones.
        let unnumbered = declared.iter().filter(|(_, id, _)| id.is_none()).count() as u64;
        let free = (0..MAX_DOMAINS).filter(|id| !ids.contains_key(id)).count() as u64;
        if unnumbered > free {
            self.error(node, Rule::TooManyDomains);
        }

        if schedules.len() != 1 {
            self.error(node, Rule::DomainScheduleCount(schedules.len()));
        }
        let names: Vec<String> = declared.iter().map(|(name, _, _)| name.to_string()).collect();
        for schedule in schedules {
            self.schedule(schedule, &names);
        }
        self.domains = Some(names);
    }

    fn schedule(&mut self, node: Node<'a, 'input>, names: &[String]) {
        let entries = self.check_shape(node, &["index_shift", "start_index"]);
        let start_index = self.number(node, "start_index").unwrap_or(0);
        let index_shift = self.number(node, "index_shift").unwrap_or(0);
        let mut len = 0u64;
        for entry in entries {
            match entry.tag_name().name() {
                "schedule_entry" => {
                    self.check_leaf(entry, &["domain", "duration"]);
                    if let Some(domain) = self.required(entry, "domain") {
                        if !names.iter().any(|n| n == domain) {
                            self.error(entry, Rule::UnknownDomain(domain.to_string()));
                        }
                    }
                    if let Some(duration) = self.required(entry, "duration") {
                        self.duration(entry, duration);
                    }
                }
                "schedule_end_marker" => self.check_leaf(entry, &[]),
                other => {
                    self.error(entry, Rule::UnknownElement(other.to_string()));
                    continue;
                }
            }
            len += 1;
        }
        if len >= MAX_DOMAIN_SCHEDULE {
            self.error(node, Rule::TooManyScheduleEntries);
        }
        if start_index >= len {
            self.error(node, Rule::ScheduleStartIndex { index: start_index, len });
        }
        if index_shift.saturating_add(len) >= MAX_DOMAIN_SCHEDULE {
            self.error(node, Rule::ScheduleIndexShift { shift: index_shift, len });
        }
    }

    /// `N us` or `N ticks`, N not zero.
    fn duration(&mut self, node: Node<'a, 'input>, text: &str) {
        let Some((value, unit)) = text.split_once(' ') else {
            return self.error(node, Rule::DurationFormat(text.to_string()));
        };
        match parse_number(value) {
            None => self.error(node, Rule::BadNumber { attr: "duration", value: value.to_string() }),
            Some(0) => self.error(node, Rule::DurationZero(text.to_string())),
            Some(_) if unit != "us" && unit != "ticks" => self.error(node, Rule::DurationUnit(text.to_string())),
            Some(_) => {}
        }
    }

    /// The `domain` a protection domain names, checked against the
    /// `<domains>` declared before it (Microkit reads the file in order).
    pub(super) fn pd_domain(&mut self, node: Node<'a, 'input>) -> Option<String> {
        let domain = node.attribute("domain");
        let declared = self.domains.as_ref().filter(|names| !names.is_empty());
        let rule = match (declared, domain) {
            (None, Some(d)) => Some(Rule::DomainWithoutSchedule(d.to_string())),
            (Some(_), None) => Some(Rule::MissingAttribute("domain")),
            (Some(names), Some(d)) if !names.iter().any(|n| n == d) => Some(Rule::UnknownDomain(d.to_string())),
            _ => None,
        };
        if let Some(rule) = rule {
            self.error(node, rule);
        }
        domain.map(str::to_string)
    }
}
