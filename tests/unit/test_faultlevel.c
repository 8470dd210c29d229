/* Unit tests for MindCluster's fault level table (checks/support/faultlevel.c). */
#include "faultlevel.h"
#include "tap.h"

/* The level name of code, or "none". */
static const char *level(const char *code)
{
	enum v4_fault_level l;
	return v4_fault_level(code, &l) == 0 ? v4_fault_level_name(l) : "none";
}

int main(void)
{
	/* one code of each level of faultCode.json @43aa07c3 */
	is_str(level("80E21007"), "NotHandle", "80E21007 NotHandle");
	is_str(level("80E58E02"), "SubHealth", "80E58E02 SubHealth");
	is_str(level("80C98008"), "RestartRequest", "80C98008 RestartRequest");
	is_str(level("80E01801"), "RestartBusiness", "80E01801 RestartBusiness");
	is_str(level("8C0E4E00"), "FreeRestartNPU", "8C0E4E00 FreeRestartNPU");
	is_str(level("8C03A000"), "RestartNPU", "8C03A000 RestartNPU");
	is_str(level("80E3A201"), "SeparateNPU", "80E3A201 SeparateNPU");
	is_str(level("A2301001"), "SeparateNPU", "A2301001 under two levels: the more severe");
	is_str(level("80818c00"), "SeparateNPU", "lower case in the table and the query");
	is_str(level("80e21007"), "NotHandle", "lower-case query");
	is_str(level("12345678"), "none", "a code not in the table");
	is_str(level("NA"), "none", "NA");
	is_str(level("80E210071"), "none", "nine digits");
	is_str(level("80E2100G"), "none", "not hex");
	is_str(level(""), "none", "empty");
	return tap_done();
}
