//! Scheduling domains: DomainSet_Set. This kernel has one domain (NUM_DOMAINS=1).

use sel4::cap_type::DomainSet;
use sel4::{init_thread, Error};
use sel4_test::{check_err, test_case, Env, ResultExt, TestResult};

/// The highest domain there is.
const LAST_DOMAIN: u8 = sel4::config::NUM_DOMAINS as u8 - 1;

test_case!(DOMAIN0001, "moving the test thread into the last domain (0: this kernel has one) and back succeeds (sel4test DOMAINS0001)", domain0001);
fn domain0001(env: &mut Env) -> TestResult {
    init_thread::DOMAIN.domain_set_set(LAST_DOMAIN, env.tcb()).or_fail("set the last domain")?;
    init_thread::DOMAIN.domain_set_set(0, env.tcb()).or_fail("set domain 0")?;
    Ok(())
}

test_case!(DOMAIN0002, "a domain past the last (NUM_DOMAINS + 10, as sel4test, and NUM_DOMAINS itself) is InvalidArgument (sel4test DOMAINS0002)", domain0002);
fn domain0002(env: &mut Env) -> TestResult {
    for domain in [LAST_DOMAIN + 11, LAST_DOMAIN + 1] {
        check_err!(init_thread::DOMAIN.domain_set_set(domain, env.tcb()), Error::InvalidArgument);
    }
    Ok(())
}

test_case!(DOMAIN0003, "DomainSet_Set invoked on a TCB cap instead of the domain cap is IllegalOperation (sel4test DOMAINS0003)", domain0003);
fn domain0003(env: &mut Env) -> TestResult {
    check_err!(env.tcb().cast::<DomainSet>().domain_set_set(0, env.tcb()), Error::IllegalOperation);
    Ok(())
}
