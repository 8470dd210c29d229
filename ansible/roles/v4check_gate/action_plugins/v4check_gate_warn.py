# Action plugin: shows each line of `msg` (a string or a list) as an Ansible
# [WARNING], so that a gate that passes with warnings says so where operators
# look for it, without failing the task.
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("msg",))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        msg = self._task.args.get("msg", "")
        lines = msg if isinstance(msg, list) else [msg]
        result.update(changed=False, warnings=[str(line) for line in lines if line])
        return result
