"""Words that retrieval treats specially: abbreviations, chat spellings, question words.

All entries are folded (lower case, no diacritics), as produced by ``textnorm.fold``.
"""

from __future__ import annotations

# Abbreviations of the plans and of chat, expanded on both sides of the search so
# "cds", "CĐS" and "chuyển đổi số" meet.
ABBREVIATIONS: dict[str, str] = {
    "cds": "chuyen doi so",
    "bdhvs": "binh dan hoc vu so",
    "dvc": "dich vu cong",
    "dvctt": "dich vu cong truc tuyen",
    "ntm": "nong thon moi",
    "mtqg": "muc tieu quoc gia",
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "tdkt": "thi dua khen thuong",
    "khcn": "khoa hoc cong nghe",
    "mttq": "mat tran to quoc",
    "ubmttq": "uy ban mat tran to quoc",
    "ct-xh": "chinh tri xa hoi",
    "bcd": "ban chi dao",
    "tw": "trung uong",
    "tmdt": "thuong mai dien tu",
    "hcth": "hanh chinh tong hop",
    "cvp": "chanh van phong",
    "pcvp": "pho chanh van phong",
    "kh": "ke hoach",
    "nq": "nghi quyet",
    "qd": "quyet dinh",
    "ttg": "thu tuong",
    "tthc": "thu tuc hanh chinh",
    "cccd": "can cuoc cong dan",
    "tk": "tai khoan",
    "mk": "mat khau",
    "sdt": "so dien thoai",
}

# Abbreviations that are ordinary words in lower case ("ai" = who).
CAPITAL_ABBREVIATIONS: dict[str, str] = {"AI": "tri tue nhan tao"}

# Chat spellings replaced in questions before searching.
CHAT_SPELLINGS: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "hok": "không",
    "j": "gì",
    "z": "vậy",
    "ntn": "như thế nào",
    "dc": "được",
    "đc": "được",
    "bn": "bao nhiêu",
    "mn": "mọi người",
    "vs": "với",
    "ad": "",
    "wifi": "Wi-Fi",  # the lessons write Wi-Fi, people type wifi
}

# Question and politeness words that carry no content, as typed with diacritics...
STOPWORDS = frozenset(
    """
    là gì nào không sao thế như bao nhiêu đâu hả à ạ ơi cho hỏi mình tôi bạn vậy với nhé
    có được của và các những một trong về từ đến thì mà ở tại để này đó kia ai khi lúc
    gồm bị cần phải nên làm theo em anh chị xin cảm ơn vui lòng giúp những hay hoặc
    """.split()
)
# ...and without: only the folded forms that no content word of the corpus shares
# ("thi" may be "thì" or "thi đua", "bao" may be "báo cáo").
FOLDED_STOPWORDS = frozenset(
    """
    la gi nao khong sao nhu nhieu a oi cho mot khi luc gom phai lam theo xin giup
    cac nhung va cua duoc ve den voi o nay nhe ai
    """.split()
)
